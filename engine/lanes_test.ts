import { deepEqual, equal, rejects } from "node:assert/strict";
import { runInLanes } from "./lanes.ts";

const turn = () => new Promise((resolve) => setTimeout(resolve, 1));

Deno.test("runInLanes() runs every index once, in start order, never more than `lanes` at once", async () => {
  const started: number[] = [];
  let running = 0;
  let most = 0;
  await runInLanes(10, 3, async (i) => {
    started.push(i);
    most = Math.max(most, ++running);
    await turn();
    running--;
  });
  deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  equal(most, 3);
});

Deno.test("runInLanes() starts nothing after a failure or a stop, waits for the running jobs, throws the first failure", async () => {
  const started: number[] = [];
  let finished = 0;
  await rejects(
    runInLanes(10, 2, async (i) => {
      started.push(i);
      await turn();
      finished++;
      if (i === 1) throw new Error("job 1 failed");
    }),
    /job 1 failed/,
  );
  equal(finished, started.length, "every job started also ended");
  equal(started.length < 10, true);

  const ran: number[] = [];
  await runInLanes(10, 2, async (i) => {
    ran.push(i);
    await turn();
  }, () => ran.length >= 4);
  equal(ran.length, 4);
  await runInLanes(0, 4, () => Promise.reject(new Error("no job for no index")));
});
