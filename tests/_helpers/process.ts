/**
 * Child processes for interop tests: spawn, drain, wait for a line, kill.
 *
 * Every pipe of a {@linkcode ManagedProcess} is read to its end in the background (a full pipe would block the
 * child), lines are kept in a bounded history for diagnostics, and {@linkcode ManagedProcess.close} always ends
 * with the process reaped and both pipes closed, so `Deno.test` resource and op sanitizers pass. Each child
 * runs in its own process group (session), which `close()` signals as a whole: grandchildren that inherited
 * the pipes stop too. Children therefore do not get the terminal's Ctrl-C; use `hardTimeoutMs` (or a
 * client's own parent watch) for children that must not outlive a crashed test run.
 *
 * @module
 */

/** Which pipe a line came from. */
export type StreamName = "stdout" | "stderr";

/** One line of child output. */
export interface OutputLine {
  /** The pipe it came from. */
  readonly stream: StreamName;
  /** The text, without its line terminator (`\n`, `\r\n` or a bare `\r`, which progress printers use). */
  readonly text: string;
}

/** Options for {@linkcode ManagedProcess.spawn}. */
export interface SpawnOptions {
  /** Arguments after the command. */
  args?: string[];
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables (added to the inherited environment). */
  env?: Record<string, string>;
  /**
   * Hard limit in milliseconds enforced outside Deno: the command runs under coreutils `timeout`, so it is
   * killed even if the test process dies first. Use it for children that never exit by themselves.
   */
  hardTimeoutMs?: number;
  /** Called for every output line as it arrives; exceptions it throws are ignored. */
  onLine?: (line: OutputLine) => void;
  /** How many recent lines {@linkcode ManagedProcess.output} keeps (default 2,000). */
  historyLines?: number;
}

/** Options for {@linkcode ManagedProcess.waitForLine}. */
export interface WaitForLineOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Only look at this pipe (default: both). */
  stream?: StreamName;
}

/** Options for {@linkcode ManagedProcess.close}. */
export interface CloseOptions {
  /** First signal sent (default `SIGTERM`). */
  signal?: Deno.Signal;
  /** Milliseconds to wait after the first signal before `SIGKILL` (default 3,000). */
  graceMs?: number;
}

const MAX_LINE_CHARS = 64 * 1024;

interface LineWaiter {
  test: (line: OutputLine) => boolean;
  stream?: StreamName;
  resolve: (line: OutputLine) => void;
  reject: (reason: string) => void;
}

/**
 * A spawned child whose stdout and stderr are drained into lines.
 *
 * @example Wait for a line, then stop the process
 * ```ts
 * import { ManagedProcess } from "./process.ts";
 * const child = ManagedProcess.spawn("sh", { args: ["-c", "echo ready; sleep 30"] });
 * await child.waitForLine((l) => l.text === "ready", { timeoutMs: 5_000 });
 * await child.close();
 * ```
 */
export class ManagedProcess {
  readonly #child: Deno.ChildProcess;
  readonly #command: string;
  readonly #onLine?: (line: OutputLine) => void;
  readonly #historyLines: number;
  readonly #history: OutputLine[] = [];
  readonly #waiters = new Set<LineWaiter>();
  readonly #status: Promise<Deno.CommandStatus>;
  #exitStatus: Deno.CommandStatus | undefined;
  #closing: Promise<Deno.CommandStatus> | undefined;

  private constructor(command: string, options: SpawnOptions) {
    this.#command = command;
    this.#onLine = options.onLine;
    this.#historyLines = options.historyLines ?? 2_000;
    let cmd = command;
    let args = options.args ?? [];
    if (options.hardTimeoutMs !== undefined) {
      const seconds = Math.max(1, Math.ceil(options.hardTimeoutMs / 1000));
      args = ["--kill-after=2", `${seconds}s`, command, ...args];
      cmd = "timeout";
    }
    this.#child = new Deno.Command(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // Its own process group (setsid): close() signals the group, reaching grandchildren that hold the pipes.
      detached: true,
    }).spawn();
    const drained = Promise.all([
      this.#drain(this.#child.stdout, "stdout"),
      this.#drain(this.#child.stderr, "stderr"),
    ]);
    this.#status = Promise.all([this.#child.status, drained]).then(([status]) => {
      this.#exitStatus = status;
      for (const waiter of this.#waiters) waiter.reject(`it exited with code ${status.code}`);
      this.#waiters.clear();
      return status;
    });
  }

  /**
   * Starts `command` with piped, continuously drained stdout and stderr and no stdin.
   *
   * @param command Executable name or path.
   * @param options Arguments, environment, hard timeout, line callback.
   * @returns The running process.
   * @throws {Deno.errors.NotFound} If the executable does not exist.
   */
  static spawn(command: string, options: SpawnOptions = {}): ManagedProcess {
    return new ManagedProcess(command, options);
  }

  /** The operating-system process id (of the `timeout` wrapper when `hardTimeoutMs` was given). */
  get pid(): number {
    return this.#child.pid;
  }

  /** Resolves once the process has exited and both pipes are drained. */
  get status(): Promise<Deno.CommandStatus> {
    return this.#status;
  }

  /** The exit status, or `undefined` while the process runs. */
  get exitStatus(): Deno.CommandStatus | undefined {
    return this.#exitStatus;
  }

  /** The most recent lines, each prefixed with its pipe name (`stdout| ...`), joined by newlines. */
  get output(): string {
    return this.#history.map((l) => `${l.stream}| ${l.text}`).join("\n");
  }

  /** The most recent lines (bounded by `historyLines`). */
  get lines(): readonly OutputLine[] {
    return this.#history;
  }

  /**
   * Resolves with the first line (already printed or still to come) for which `test` returns true.
   *
   * @param test Predicate over a line.
   * @param options Timeout in milliseconds and an optional pipe filter.
   * @returns The matching line.
   * @throws {Error} If the process exits first or the timeout passes; the message ends with the output.
   */
  waitForLine(test: (line: OutputLine) => boolean, options: WaitForLineOptions): Promise<OutputLine> {
    const seen = this.#history.find((l) =>
      (options.stream === undefined || l.stream === options.stream) && test(l)
    );
    if (seen) return Promise.resolve(seen);
    if (this.#exitStatus) {
      return Promise.reject(this.#failure(`it exited with code ${this.#exitStatus.code}`));
    }
    return new Promise<OutputLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(this.#failure(`no match within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const waiter: LineWaiter = {
        test,
        stream: options.stream,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (reason) => {
          clearTimeout(timer);
          reject(this.#failure(reason));
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Stops the process and everything it started: sends `signal` to its process group, waits up to `graceMs`
   * for it to exit and its pipes to close, then `SIGKILL`s the group. Safe to call more than once and after
   * the process exited.
   *
   * @param options First signal and grace period.
   * @returns The exit status, once the process is reaped and its pipes drained.
   */
  close(options: CloseOptions = {}): Promise<Deno.CommandStatus> {
    this.#closing ??= this.#stop(options.signal ?? "SIGTERM", options.graceMs ?? 3_000);
    return this.#closing;
  }

  /** Same as {@linkcode ManagedProcess.close} with defaults, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #stop(signal: Deno.Signal, graceMs: number): Promise<Deno.CommandStatus> {
    if (this.#exitStatus) return this.#exitStatus;
    this.#signalGroup(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<"grace_over">((resolve) => {
      timer = setTimeout(() => resolve("grace_over"), graceMs);
    });
    const first = await Promise.race([this.#status, graceOver]);
    clearTimeout(timer);
    if (first === "grace_over") this.#signalGroup("SIGKILL");
    return await this.#status;
  }

  /** Signals the child's whole process group, so grandchildren holding our pipes stop too. */
  #signalGroup(signal: Deno.Signal): void {
    try {
      Deno.kill(-this.#child.pid, signal);
    } catch {
      // The group is gone: nothing to stop.
    }
  }

  #failure(reason: string): Error {
    const tail = this.#history.slice(-40).map((l) => `  ${l.stream}| ${l.text}`).join("\n");
    return new Error(`Cannot find the expected line from ${this.#command}: ${reason}; last output:\n${tail}`);
  }

  async #drain(stream: ReadableStream<Uint8Array>, name: StreamName): Promise<void> {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const parts = pending.split(/\r\n|\r|\n/);
      pending = parts.pop() ?? "";
      if (pending.length > MAX_LINE_CHARS) {
        parts.push(pending);
        pending = "";
      }
      for (const text of parts) this.#push({ stream: name, text });
    }
    if (pending !== "") this.#push({ stream: name, text: pending });
  }

  #push(line: OutputLine): void {
    if (line.text.trim() === "") return;
    this.#history.push(line);
    if (this.#history.length > this.#historyLines) {
      this.#history.splice(0, this.#history.length - this.#historyLines);
    }
    try {
      this.#onLine?.(line);
    } catch {
      // A callback must not break draining.
    }
    for (const waiter of this.#waiters) {
      if (waiter.stream !== undefined && waiter.stream !== line.stream) continue;
      let matched = false;
      try {
        matched = waiter.test(line);
      } catch {
        matched = false;
      }
      if (matched) {
        this.#waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  }
}

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 (bind port 0, read it, release it). For clients that cannot
 * listen on port 0 and report the port (Transmission, aria2); another process could take it in between, which
 * is unlikely enough on a test machine.
 *
 * @returns A port number in 1..65535.
 */
export function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Waits until something accepts TCP connections on `127.0.0.1:port` (the probe connection is closed at once).
 *
 * @param port TCP port.
 * @param options Timeout in milliseconds, and a process whose exit ends the wait early.
 * @throws {Error} If the timeout passes or the process exits first.
 */
export async function waitForTcpPort(
  port: number,
  options: { timeoutMs: number; process?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      // Not listening yet.
    }
    if (options.process?.exitStatus) {
      throw new Error(`Cannot connect to 127.0.0.1:${port}: the process exited\n${options.process.output}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`Cannot connect to 127.0.0.1:${port}: nothing listening after ${options.timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
