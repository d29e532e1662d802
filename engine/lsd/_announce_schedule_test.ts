import assert from "node:assert/strict";
import { AnnounceSchedule } from "./_announce_schedule.ts";

const options = { reannounce: 300, minGap: 60, maxPerPacket: 2 };

Deno.test("AnnounceSchedule.take() sends new torrents at once, then every reannounce interval", () => {
  const s = new AnnounceSchedule(options);
  assert.equal(s.take(0), null);
  assert.equal(s.nextAt(0), undefined);
  s.add("a");
  s.add("a");
  assert.equal(s.size, 1);
  assert.equal(s.nextAt(5), 5);
  assert.deepEqual(s.take(5), ["a"]);
  assert.equal(s.take(6), null);
  assert.equal(s.nextAt(6), 305);
  assert.equal(s.take(304), null);
  assert.deepEqual(s.take(305), ["a"]);
});

Deno.test("AnnounceSchedule.take() sends at most one packet per gap, most overdue first", () => {
  const s = new AnnounceSchedule(options);
  s.add("a");
  assert.deepEqual(s.take(0), ["a"]);
  s.add("b");
  s.add("c");
  s.add("d");
  assert.equal(s.take(59), null, "gap");
  assert.equal(s.nextAt(59), 60);
  assert.deepEqual(s.take(60), ["b", "c"]);
  assert.deepEqual(s.take(120), ["d"]);
  assert.equal(s.take(180), null);
  assert.equal(s.nextAt(180), 300);
  s.remove("a");
  assert.equal(s.nextAt(180), 360);
  assert.deepEqual(s.take(400), ["b", "c"]);
});
