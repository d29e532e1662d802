import assert from "node:assert/strict";
import { aggregate } from "./summarise_cpuprofile.ts";

Deno.test("aggregate() sums self time per function and total time along the stack", () => {
  const frame = (functionName: string) => ({ functionName, url: "file:///a/b/c.ts", lineNumber: 0 });
  const { functions, spanUs } = aggregate({
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2] },
      { id: 2, callFrame: frame("outer"), children: [3] },
      { id: 3, callFrame: frame("inner") },
    ],
    samples: [2, 3, 3],
    timeDeltas: [0, 10, 20, 30],
    startTime: 0,
    endTime: 100,
  });
  const by = new Map(functions.map((f) => [f.name, f]));
  assert.equal(spanUs, 100);
  assert.deepEqual(by.get("inner (b/c.ts:1)"), { name: "inner (b/c.ts:1)", selfUs: 50, totalUs: 50 });
  assert.deepEqual(by.get("outer (b/c.ts:1)"), { name: "outer (b/c.ts:1)", selfUs: 10, totalUs: 60 });
});
