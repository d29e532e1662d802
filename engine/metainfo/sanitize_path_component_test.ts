import assert from "node:assert/strict";
import fc from "fast-check";
import { sanitizePathComponent } from "./sanitize_path_component.ts";

// deno-lint-ignore no-control-regex
const UNSAFE = /[/\\<>:"|?*\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/;
const bytes = (s: string) => new TextEncoder().encode(s).length;

Deno.test("sanitizePathComponent() neutralises dot components (HOSTILE_INPUTS 14, 17)", () => {
  assert.equal(sanitizePathComponent(".."), "_");
  assert.equal(sanitizePathComponent("."), "_");
  assert.equal(sanitizePathComponent(""), "_");
  assert.equal(sanitizePathComponent("..."), "_");
  assert.equal(sanitizePathComponent(". ."), "_");
  assert.equal(sanitizePathComponent("..a"), "..a");
  assert.equal(sanitizePathComponent(".hidden"), ".hidden");
});

Deno.test("sanitizePathComponent() replaces separators inside a component (HOSTILE_INPUTS 15, 16)", () => {
  assert.equal(sanitizePathComponent("a/../../b"), "a_.._.._b");
  assert.equal(sanitizePathComponent("..\\..\\x"), ".._.._x");
  assert.equal(sanitizePathComponent("/etc/x"), "_etc_x");
  assert.equal(sanitizePathComponent("C:\\x"), "C__x");
  assert.equal(sanitizePathComponent("\\\\server\\share\\x"), "__server_share_x");
  assert.equal(sanitizePathComponent("/"), "_");
});

Deno.test("sanitizePathComponent() removes controls, bidi and zero-width characters (HOSTILE_INPUTS 18)", () => {
  assert.equal(sanitizePathComponent("a\u202Egpj.exe"), "agpj.exe");
  assert.equal(sanitizePathComponent("\u200Bx\u200F\u2066y\u2069\uFEFF"), "xy");
  assert.equal(sanitizePathComponent("a\u0000b\nc\td\u001Fe\u007Ff\u0085g"), "a_b_c_d_e_f_g");
  assert.equal(sanitizePathComponent("line\u2028break"), "line_break");
  assert.equal(sanitizePathComponent("\u202E"), "_");
});

Deno.test("sanitizePathComponent() makes Windows-unsafe names safe (HOSTILE_INPUTS 19)", () => {
  for (
    const name of ["CON", "con", "PRN", "AUX", "NUL", "COM1", "com9", "LPT1", "LPT9", "COM\u00B9", "CONIN$"]
  ) {
    assert.equal(sanitizePathComponent(name), `_${name}`);
  }
  assert.equal(sanitizePathComponent("nul.txt"), "_nul.txt");
  assert.equal(sanitizePathComponent("Con.tar.gz"), "_Con.tar.gz");
  assert.equal(sanitizePathComponent("COM10"), "COM10");
  assert.equal(sanitizePathComponent("CONSOLE"), "CONSOLE");
  assert.equal(sanitizePathComponent("name. . "), "name");
  assert.equal(sanitizePathComponent('a<b>c:d"e|f?g*h'), "a_b_c_d_e_f_g_h");
});

Deno.test("sanitizePathComponent() cuts long names keeping the extension (HOSTILE_INPUTS 20)", () => {
  const long = sanitizePathComponent("a".repeat(300) + ".mkv");
  assert.equal(bytes(long), 240);
  assert.ok(long.endsWith("a.mkv"));
  const wide = sanitizePathComponent("é".repeat(200) + ".txt");
  assert.ok(bytes(wide) <= 240);
  assert.ok(wide.endsWith("é.txt"));
  const emoji = sanitizePathComponent("😀".repeat(100));
  assert.equal(bytes(emoji), 240);
  assert.equal(emoji, "😀".repeat(60));
  const longExt = sanitizePathComponent("x." + "e".repeat(300));
  assert.equal(bytes(longExt), 240);
  assert.equal(sanitizePathComponent("\ud800abc"), "\ufffdabc");
});

Deno.test("sanitizePathComponent() output is always one safe, stable name", () => {
  const anyText = fc.oneof(
    fc.string({ unit: "binary", maxLength: 400 }),
    fc.string({
      unit: fc.constantFrom(".", " ", "/", "\\", "\u202E", "\0", "a", "é", "😀", "C", "O", "N"),
      maxLength: 300,
    }),
  );
  fc.assert(
    fc.property(anyText, (input) => {
      const out = sanitizePathComponent(input);
      assert.notEqual(out, "");
      assert.notEqual(out, ".");
      assert.notEqual(out, "..");
      assert.ok(bytes(out) <= 240, `${bytes(out)} bytes`);
      assert.doesNotMatch(out, UNSAFE);
      assert.doesNotMatch(out, /[. ]$/);
      assert.doesNotMatch(out, /^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\.|$)/i);
      assert.ok(out.isWellFormed());
      assert.equal(sanitizePathComponent(out), out);
    }),
    { numRuns: 5000 },
  );
});
