import assert from "node:assert/strict";
import { parseIp } from "./_ip.ts";
import { refuseRedirect } from "./_redirect.ts";

const names: Record<string, string[]> = {
  "tracker.example": ["198.51.100.7"],
  "rebind.example": ["198.51.100.8", "127.0.0.1"],
  "lan.example": ["192.168.0.10"],
  "v6.example": ["2001:db8::5"],
};
const resolve = (name: string) => Promise.resolve((names[name] ?? []).map((text) => parseIp(text)!));

async function refused(from: string, to: string): Promise<boolean> {
  return (await refuseRedirect(new URL(from), new URL(to), { resolve })) !== undefined;
}

Deno.test("refuseRedirect() refuses a move to a more local address (SSRF)", async () => {
  assert.equal(await refused("http://tracker.example/announce", "http://127.0.0.1/announce"), true);
  assert.equal(await refused("http://tracker.example/announce", "http://[::1]:8080/x"), true);
  assert.equal(await refused("http://tracker.example/announce", "http://10.0.0.1/admin"), true);
  assert.equal(await refused("http://tracker.example/announce", "http://localhost/x"), true);
  assert.equal(await refused("http://tracker.example/announce", "http://a.localhost/x"), true);
  assert.equal(await refused("http://tracker.example/announce", "http://rebind.example/x"), true);
  assert.equal(await refused("http://tracker.example/announce", "http://0.0.0.0/x"), true);
  assert.equal(await refused("http://tracker.example/announce", "http://2130706433/x"), true);
  assert.equal(await refused("http://tracker.example/announce", "http://lan.example/x"), true);
  assert.equal(await refused("http://192.168.1.1/announce", "http://127.0.0.1/announce"), true);
});

Deno.test("refuseRedirect() allows same-scope and wider moves", async () => {
  assert.equal(await refused("http://tracker.example/announce", "https://v6.example/announce"), false);
  assert.equal(await refused("http://tracker.example/announce", "http://unknown.example/announce"), false);
  assert.equal(await refused("http://127.0.0.1:1/announce", "http://127.0.0.1:2/announce"), false);
  assert.equal(await refused("http://127.0.0.1/announce", "http://10.1.1.1/announce"), false);
  assert.equal(await refused("http://localhost/announce", "http://tracker.example/announce"), false);
  assert.equal(await refused("http://192.168.1.1/announce", "http://lan.example/announce"), false);
});

Deno.test("refuseRedirect() refuses schemes other than http and https", async () => {
  assert.equal(await refused("http://127.0.0.1/announce", "file:///etc/passwd"), true);
  assert.equal(await refused("http://127.0.0.1/announce", "ftp://127.0.0.1/x"), true);
  assert.equal(await refused("http://127.0.0.1/announce", "udp://127.0.0.1:6969"), true);
});
