import assert from "node:assert/strict";
import { resolve, sep } from "node:path";
import fc from "fast-check";
import { resolveInside } from "./resolve_inside.ts";
import { sanitizePathComponent } from "./sanitize_path_component.ts";

Deno.test("resolveInside() joins components under the root", () => {
  assert.equal(resolveInside("/srv/dl", ["a", "b.txt"]), "/srv/dl/a/b.txt");
  assert.equal(resolveInside("/srv/dl/", ["a"]), "/srv/dl/a");
  assert.equal(resolveInside("/", ["a"]), "/a");
  assert.equal(resolveInside("rel", ["x"]), resolve("rel", "x"));
  assert.equal(resolveInside("/srv/dl", ["a", "..", "b"]), "/srv/dl/b");
});

Deno.test("resolveInside() refuses paths that leave the root (HOSTILE_INPUTS 22)", () => {
  assert.throws(() => resolveInside("/srv/dl", ["..", "..", "etc", "passwd"]), RangeError);
  assert.throws(() => resolveInside("/srv/dl", ["a/../../x"]), RangeError);
  assert.throws(() => resolveInside("/srv/dl", ["/etc/passwd"]), RangeError);
  assert.throws(() => resolveInside("/srv/dl", ["..", "dl-other", "x"]), /is not inside/);
  assert.throws(() => resolveInside("/srv/dl", []), RangeError);
  assert.throws(() => resolveInside("/srv/dl", ["."]), RangeError);
  assert.throws(() => resolveInside("/srv/dl", ["a\0b"]), /NUL/);
});

Deno.test("resolveInside() keeps every sanitised path inside the root (HOSTILE_INPUTS 14-20, 22)", () => {
  const root = resolve("/srv/dl");
  const component = fc.oneof(
    fc.constantFrom("..", ".", "", "/", "\\", "/etc", "C:\\x", "..\\..", "a/../..", "~", "$HOME"),
    fc.string({ unit: fc.constantFrom(".", "/", "\\", "a", " ", ":"), maxLength: 12 }),
  );
  fc.assert(
    fc.property(fc.array(component, { minLength: 1, maxLength: 8 }), (components) => {
      const path = resolveInside(root, components.map(sanitizePathComponent));
      assert.ok(path.startsWith(root + sep));
      assert.equal(path.slice(root.length + 1).split(sep).length, components.length);
    }),
    { numRuns: 3000 },
  );
});
