/**
 * Running a numbered series of async jobs a few at a time: hashing for torrent creation, piece layers computed
 * from data. Each lane takes the next index when its job ends, so jobs start in order.
 *
 * @module
 */

/**
 * Calls `job(i)` for `i` from 0 to `count - 1`, at most `lanes` at once. No job starts after one failed or once
 * `stop()` returns true; the jobs already running are waited for.
 *
 * @param count Jobs to run.
 * @param lanes Most jobs at once (at least one lane runs).
 * @param job The work for index `i`.
 * @param stop Checked before each job starts.
 * @throws The first job's failure, after the running jobs ended.
 */
export async function runInLanes(
  count: number,
  lanes: number,
  job: (i: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < count && !stop()) {
      try {
        await job(next++);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(lanes, count)) }, lane));
  if (failure !== undefined) throw failure.error;
}
