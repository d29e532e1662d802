import assert from "node:assert/strict";
import { TOKEN_LENGTH, TOKEN_ROTATE_MS, TokenManager } from "./tokens.ts";

Deno.test("TokenManager.verify() behaviour: previous secret accepted, older rejected (HOSTILE 52)", () => {
  let now = 1_000_000;
  const tokens = new TokenManager({ now: () => now });
  const token = tokens.create("10.0.0.1");
  assert.equal(token.length, TOKEN_LENGTH);
  assert.equal(tokens.verify("10.0.0.1", token), true);
  assert.equal(tokens.verify("10.0.0.2", token), false);
  now += TOKEN_ROTATE_MS;
  assert.equal(tokens.verify("10.0.0.1", token), true);
  const second = tokens.create("10.0.0.1");
  assert.notDeepEqual(second, token);
  now += TOKEN_ROTATE_MS;
  assert.equal(tokens.verify("10.0.0.1", token), false);
  assert.equal(tokens.verify("10.0.0.1", second), true);
  now += 2 * TOKEN_ROTATE_MS;
  assert.equal(tokens.verify("10.0.0.1", second), false);
});

Deno.test("TokenManager.verify() behaviour: rejects wrong lengths and forged bytes", () => {
  const tokens = new TokenManager();
  const token = tokens.create("10.0.0.1");
  assert.equal(tokens.verify("10.0.0.1", token.subarray(0, 4)), false);
  assert.equal(tokens.verify("10.0.0.1", new Uint8Array(TOKEN_LENGTH)), false);
  const flipped = token.slice();
  flipped[0] ^= 1;
  assert.equal(tokens.verify("10.0.0.1", flipped), false);
});
