import { equal } from "node:assert/strict";
import { bundleWorkerModule } from "../tools/bundle_worker.ts";

Deno.test("_disk_worker_source.ts is the current bundle of disk_worker.ts (run `deno task bundle-worker`)", async () => {
  const checkedIn = await Deno.readTextFile(new URL("./_disk_worker_source.ts", import.meta.url));
  equal(checkedIn, await bundleWorkerModule());
});
