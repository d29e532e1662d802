import assert from "node:assert/strict";
import { DhtNode } from "./dht/mod.ts";
import { SessionDht } from "./session_dht.ts";
import { StateStore } from "./storage/mod.ts";

const LOCAL = "127.0.0.1";

async function withStore(fn: (store: StateStore) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_session_dht_" });
  const { store } = StateStore.open(dir);
  try {
    await fn(store);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SessionDht.start() behaviour: bootstrap names are resolved; one that fails is a warning", async () => {
  const router = new DhtNode({ host: LOCAL, allowSameIp: true });
  await router.start();
  const warnings: string[] = [];
  const asked: string[] = [];
  const dht = await SessionDht.start({
    host: LOCAL,
    port: 0,
    bootstrap: [{ host: "router.test", port: router.port }, { host: "gone.test", port: 6881 }],
    warn: (message) => warnings.push(message),
    resolveDns: (name, type) => {
      asked.push(`${name} ${type}`);
      return name === "router.test" && type === "A"
        ? Promise.resolve([LOCAL])
        : Promise.reject(new Error(`no ${type} records`));
    },
    allowSameIp: true,
  });
  try {
    assert.ok(dht !== undefined);
    assert.deepEqual(dht.node.nodes().map((n) => n.port), [router.port]);
    assert.deepEqual(warnings, ["Cannot resolve DHT bootstrap node gone.test:6881: no A records"]);
    assert.deepEqual(asked.sort(), ["gone.test A", "gone.test AAAA", "router.test A", "router.test AAAA"]);
  } finally {
    await dht?.close();
    await router.close();
  }
});

Deno.test("SessionDht save() behaviour: saves good nodes, keeps the old ones while the table is empty", async () => {
  await withStore(async (store) => {
    const router = new DhtNode({ host: LOCAL, allowSameIp: true });
    await router.start();
    const options = { host: LOCAL, port: 0, bootstrap: [], store, warn: assert.fail, allowSameIp: true };
    try {
      const lonely = await SessionDht.start(options);
      const id = lonely!.node.id;
      assert.deepEqual(store.loadDhtState(), { nodeId: id, nodes: [] }, "a new id is saved at once");
      await lonely!.close();

      const far = { id: new Uint8Array(20).fill(1), host: "2001:db8::1", port: 6881, lastSeen: 5 };
      store.saveDhtState({ nodeId: id, nodes: [far] });
      const offline = await SessionDht.start(options);
      assert.deepEqual(offline!.node.id, id);
      assert.deepEqual(offline!.node.nodes(), [], "an IPv6 node is not for this IPv4 node");
      await offline!.close();
      assert.deepEqual(store.loadDhtState(), { nodeId: id, nodes: [far] }, "nothing better was found");

      const online = await SessionDht.start({ ...options, bootstrap: [{ host: LOCAL, port: router.port }] });
      online!.save();
      const saved = store.loadDhtState();
      assert.deepEqual(saved?.nodeId, id);
      assert.deepEqual(saved?.nodes.map((n) => [n.id, n.host, n.port]), [[router.id, LOCAL, router.port]]);
      await online!.close();
      await online!.close();
    } finally {
      await router.close();
    }
  });
});

Deno.test("SessionDht.start() behaviour: a node id that cannot be loaded is a warning and a new id", async () => {
  await withStore(async (store) => {
    const warnings: string[] = [];
    store.close();
    const dht = await SessionDht.start({
      host: LOCAL,
      port: 0,
      bootstrap: [],
      store,
      warn: (message) => warnings.push(message),
    });
    try {
      assert.equal(dht?.node.id.length, 20);
      assert.equal(warnings.length, 2, warnings.join("\n"));
      assert.match(warnings[0], /^Cannot load the saved DHT state: .*; starting with a new node id$/);
      assert.match(warnings[1], /^Cannot save the DHT state: /);
    } finally {
      await dht?.close();
    }
  });
});
