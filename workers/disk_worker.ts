/**
 * Entry of a disk worker (DESIGN.md section 4): receives `Job`s, runs them one at a time in arrival order and
 * answers each with a `JobResult`, transferring piece buffers both ways. The first job is `init`, naming the
 * hash backend. Blocking `node:fs` calls are fine here: they block only this worker.
 *
 * @module
 */

import { JobRunner } from "./_job_runner.ts";
import { errorToObject, type Job } from "./_protocol.ts";

/** The worker global, typed by hand: a `lib="deno.worker"` reference would leak into the main program's types. */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<Job>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

let runner: Promise<JobRunner> | undefined;
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event: MessageEvent<Job>) => {
  const job = event.data;
  queue = queue.then(async () => {
    try {
      if (job.type === "init") runner = JobRunner.create(job.hashBackend);
      if (runner === undefined) throw new Error(`Cannot run ${job.type}: the worker was not initialised`);
      const { result, transfer } = (await runner).run(job);
      scope.postMessage(result, transfer);
    } catch (error) {
      scope.postMessage({ type: "error", id: job.id, error: errorToObject(error) });
    }
  });
};
