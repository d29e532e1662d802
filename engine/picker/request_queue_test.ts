import assert from "node:assert/strict";
import { type RequestQueueOptions, requestQueueSize } from "./request_queue.ts";

const MIB = 1024 * 1024;

Deno.test("requestQueueSize() covers rate × (queue time + round trip), clamped", () => {
  const cases: [RequestQueueOptions, number][] = [
    [{ downloadRate: 0 }, 4],
    [{ downloadRate: 16384 }, 4], // 3 blocks: raised to min
    [{ downloadRate: 100 * 16384 }, 300],
    [{ downloadRate: 100 * 16384, rttMs: 500 }, 350],
    [{ downloadRate: 100 * 16384 + 1 }, 301], // rounds up
    [{ downloadRate: 10 * MIB }, 500], // capped
    [{ downloadRate: 10 * MIB, max: 5000 }, 1920],
    [{ downloadRate: 1 * MIB, queueTime: 1 }, 64],
    [{ downloadRate: 1 * MIB, blockSize: 32768 }, 96],
    [{ downloadRate: 0, min: 0 }, 0],
    [{ downloadRate: 1 * MIB, min: 2, max: 2 }, 2],
  ];
  for (const [options, expected] of cases) {
    assert.equal(requestQueueSize(options), expected, JSON.stringify(options));
  }
});

Deno.test("requestQueueSize() rejects nonsense inputs", () => {
  const cases: RequestQueueOptions[] = [
    { downloadRate: -1 },
    { downloadRate: NaN },
    { downloadRate: Infinity },
    { downloadRate: 1, rttMs: -5 },
    { downloadRate: 1, blockSize: 0 },
    { downloadRate: 1, queueTime: -1 },
    { downloadRate: 1, min: 10, max: 5 },
    { downloadRate: 1, min: 1.5 },
  ];
  for (const options of cases) {
    assert.throws(() => requestQueueSize(options), RangeError, JSON.stringify(options));
  }
});
