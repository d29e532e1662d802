import assert from "node:assert/strict";
import fc from "fast-check";
import {
  commonPrefixBits,
  compareDistance,
  K,
  QUESTIONABLE_AFTER_MS,
  RoutingTable,
} from "./routing_table.ts";

const zero = new Uint8Array(20);

function idWithPrefix(bits: number, fill: number): Uint8Array {
  const id = new Uint8Array(20).fill(fill);
  for (let bit = 0; bit <= bits && bit < 160; bit++) {
    const mask = 0x80 >> (bit & 7);
    if (bit < bits) id[bit >> 3] &= ~mask;
    else id[bit >> 3] |= mask;
  }
  return id;
}

function node(id: Uint8Array, i: number) {
  return { id, host: `10.0.${i >> 8}.${i & 0xff}`, port: 6881 };
}

Deno.test("commonPrefixBits() behaviour: counts shared leading bits", () => {
  assert.equal(commonPrefixBits(zero, zero), 160);
  assert.equal(commonPrefixBits(zero, idWithPrefix(0, 0)), 0);
  assert.equal(commonPrefixBits(zero, idWithPrefix(13, 0)), 13);
  assert.equal(commonPrefixBits(zero, idWithPrefix(159, 0)), 159);
});

Deno.test("RoutingTable.closest() behaviour: sorts by XOR distance", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 20, maxLength: 20 }), { maxLength: 60 }), (ids) => {
      const table = new RoutingTable(zero, { allowSameIp: true });
      ids.forEach((id, i) => table.add({ id, host: "127.0.0.1", port: i + 1 }));
      const target = ids[0] ?? zero;
      const got = table.closest(target, 8);
      for (let i = 1; i < got.length; i++) assert.ok(compareDistance(target, got[i - 1].id, got[i].id) <= 0);
      const all = table.nodes();
      if (got.length > 0) { for (const n of all) assert.ok(compareDistance(target, got[0].id, n.id) <= 0); }
    }),
  );
});

Deno.test("RoutingTable.add() behaviour: splits only the bucket holding our id", () => {
  const table = new RoutingTable(zero);
  for (let i = 0; i < K; i++) assert.equal(table.add(node(idWithPrefix(0, i + 1), i)).status, "added");
  assert.equal(table.bucketCount, 1);
  assert.equal(table.add(node(idWithPrefix(3, 1), 100)).status, "added");
  assert.equal(table.bucketCount, 2);
  const far = table.add(node(idWithPrefix(0, 0x77), 101));
  assert.equal(far.status, "full");
  for (let i = 0; i < 40; i++) table.add(node(idWithPrefix(1 + (i % 5), i + 2), 200 + i));
  assert.ok(table.bucketCount >= 5);
  assert.ok(table.size > 2 * K);
  assert.equal(table.add(node(idWithPrefix(0, 0x78), 102)).status, "full");
});

Deno.test("RoutingTable.add() behaviour: caps per IP, rejects our id and moved ids", () => {
  const table = new RoutingTable(zero);
  assert.equal(table.add({ id: zero, host: "1.1.1.1", port: 1 }).status, "rejected");
  assert.equal(table.add({ id: idWithPrefix(1, 1), host: "1.1.1.1", port: 1 }).status, "added");
  assert.equal(table.add({ id: idWithPrefix(2, 1), host: "1.1.1.1", port: 2 }).status, "added");
  assert.equal(table.add({ id: idWithPrefix(3, 1), host: "1.1.1.1", port: 3 }).status, "rejected");
  assert.equal(table.add({ id: idWithPrefix(1, 1), host: "2.2.2.2", port: 1 }).status, "rejected");
  assert.equal(table.add({ id: idWithPrefix(1, 1), host: "1.1.1.1", port: 1 }).status, "updated");
  const same = new RoutingTable(zero, { allowSameIp: true });
  for (let i = 1; i <= 5; i++) {
    assert.equal(same.add({ id: idWithPrefix(i, 1), host: "127.0.0.1", port: i }).status, "added");
  }
  assert.equal(same.add({ id: idWithPrefix(9, 1), host: "127.0.0.1", port: 1 }).status, "rejected");
});

Deno.test("RoutingTable.markFailed() behaviour: bad nodes are replaced, stale ones are questionable", () => {
  let now = 0;
  const table = new RoutingTable(zero, { now: () => now, maxPerIp: 100 });
  const far = Array.from({ length: K }, (_, i) => node(idWithPrefix(0, i + 1), i));
  for (const n of far) table.add(n);
  table.add(node(idWithPrefix(2, 1), 50));
  const extra = node(idWithPrefix(0, 0x55), 60);
  assert.deepEqual(table.add(extra), { status: "full", questionable: undefined });
  now = QUESTIONABLE_AFTER_MS + 1;
  assert.equal(table.state(far[0].id), "questionable");
  const full = table.add(extra);
  assert.equal(full.status, "full");
  assert.ok(full.status === "full" && full.questionable !== undefined);
  table.markFailed(far[3].id);
  assert.equal(table.state(far[3].id), "questionable");
  table.markFailed(far[3].id);
  assert.equal(table.state(far[3].id), "bad");
  assert.equal(
    table.closest(far[3].id, 100).some((n) => n.port === far[3].port && n.host === far[3].host),
    false,
  );
  assert.equal(table.add(extra).status, "added");
  assert.equal(table.state(far[3].id), undefined);
  assert.equal(table.remove(extra.id), true);
  assert.equal(table.remove(extra.id), false);
});

Deno.test("RoutingTable.refreshTargets() behaviour: one target per stale bucket, inside it", () => {
  let now = 0;
  const table = new RoutingTable(zero, { now: () => now, maxPerIp: 100 });
  for (let i = 0; i < 12; i++) table.add(node(idWithPrefix(i % 4, i + 1), i));
  assert.deepEqual(table.refreshTargets(), []);
  now = QUESTIONABLE_AFTER_MS;
  const targets = table.refreshTargets();
  assert.equal(targets.length, table.bucketCount);
  targets.forEach((t, i) => {
    const cpl = commonPrefixBits(zero, t);
    if (i < table.bucketCount - 1) assert.equal(cpl, i);
    else assert.ok(cpl >= i);
  });
  assert.deepEqual(table.refreshTargets(), []);
});
