import assert from "node:assert/strict";
import { StorageError } from "../engine/errors.ts";
import { errorFromObject, errorToObject } from "./_protocol.ts";

Deno.test("errorToObject() and errorFromObject() carry a StorageError across structured cloning", () => {
  const original = new StorageError(
    "write",
    "/d/f",
    "ENOSPC",
    "Cannot write /d/f: ENOSPC (no space left on device)",
  );
  const rebuilt = errorFromObject(structuredClone(errorToObject(original)));
  assert.ok(rebuilt instanceof StorageError);
  assert.equal(rebuilt.op, "write");
  assert.equal(rebuilt.path, "/d/f");
  assert.equal(rebuilt.code, "ENOSPC");
  assert.equal(rebuilt.message, original.message);
});

Deno.test("errorFromObject() rebuilds RangeError and TypeError, and plain Error otherwise", () => {
  assert.ok(errorFromObject(errorToObject(new RangeError("r"))) instanceof RangeError);
  assert.ok(errorFromObject(errorToObject(new TypeError("t"))) instanceof TypeError);
  const other = errorFromObject(errorToObject("a string"));
  assert.equal(other.constructor, Error);
  assert.equal(other.message, "a string");
});
