import assert from "node:assert/strict";
import { type DnsResolver, resolveBootstrap } from "./resolve_bootstrap.ts";

/** A resolver answering from `records` (`name/type` -> addresses); anything else fails like a missing name. */
function fakeDns(records: Record<string, string[]>, asked: string[] = []): DnsResolver {
  return (name, type) => {
    asked.push(`${name}/${type}`);
    const found = records[`${name}/${type}`];
    return found === undefined
      ? Promise.reject(new Deno.errors.NotFound(`no records found for ${name}`))
      : Promise.resolve(found);
  };
}

Deno.test("resolveBootstrap() behaviour: names become one node per A and AAAA address; IPs pass through", async () => {
  const asked: string[] = [];
  const warnings: string[] = [];
  const nodes = await resolveBootstrap(
    [
      { host: "router.example", port: 6881 },
      { host: "10.1.2.3", port: 25401 },
      { host: "2001:DB8:0:0::1", port: 6881 },
      { host: "v4only.example", port: 1 },
    ],
    {
      resolveDns: fakeDns({
        "router.example/A": ["192.0.2.1", "192.0.2.2"],
        "router.example/AAAA": ["2001:db8::5"],
        "v4only.example/A": ["192.0.2.1", "not an address"],
      }, asked),
      onWarning: (message) => warnings.push(message),
    },
  );
  assert.deepEqual(nodes, [
    { host: "192.0.2.1", port: 6881 },
    { host: "192.0.2.2", port: 6881 },
    { host: "2001:db8::5", port: 6881 },
    { host: "10.1.2.3", port: 25401 },
    { host: "2001:db8::1", port: 6881 },
    { host: "192.0.2.1", port: 1 },
  ]);
  assert.deepEqual(warnings, []);
  assert.deepEqual(asked.sort(), [
    "router.example/A",
    "router.example/AAAA",
    "v4only.example/A",
    "v4only.example/AAAA",
  ]);
});

Deno.test("resolveBootstrap() behaviour: a name that does not resolve is a warning, never an error", async () => {
  const warnings: string[] = [];
  const hanging: DnsResolver = (_name, _type, { signal }) =>
    new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  const denied: DnsResolver = () =>
    Promise.reject(new Deno.errors.NotCapable('Requires net access to "10.0.0.53:53"'));
  const onWarning = (message: string) => warnings.push(message);
  assert.deepEqual(
    await resolveBootstrap([{ host: "gone.example", port: 6881 }, { host: "127.0.0.1", port: 7 }], {
      resolveDns: fakeDns({}),
      onWarning,
    }),
    [{ host: "127.0.0.1", port: 7 }],
  );
  assert.deepEqual(
    await resolveBootstrap([{ host: "slow.example", port: 1 }], {
      resolveDns: hanging,
      timeoutMs: 20,
      onWarning,
    }),
    [],
  );
  assert.deepEqual(
    await resolveBootstrap([{ host: "walled.example", port: 2 }], { resolveDns: denied, onWarning }),
    [],
  );
  assert.deepEqual(
    await resolveBootstrap([{ host: "empty.example", port: 3 }], {
      resolveDns: () => Promise.resolve([]),
      onWarning,
    }),
    [],
  );
  assert.equal(warnings.length, 4, warnings.join("\n"));
  assert.match(warnings[0], /^Cannot resolve DHT bootstrap node gone\.example:6881: no records found/);
  assert.match(warnings[1], /^Cannot resolve DHT bootstrap node slow\.example:1: /);
  assert.match(warnings[2], /^Cannot resolve DHT bootstrap node walled\.example:2: Requires net access/);
  assert.match(warnings[3], /^Cannot resolve DHT bootstrap node empty\.example:3: no A or AAAA records$/);
});
