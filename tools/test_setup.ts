/**
 * Makes sure the real BitTorrent clients the interop tests run are installed (Debian packages), installing the
 * missing ones with apt-get when running as root. Run by `deno task test` before the tests.
 *
 * @module
 */

/**
 * Debian packages the tests use: the peers and tracker they talk to on 127.0.0.1, and GNU time
 * (`/usr/bin/time`), which the bench's own tests run to measure wall time and peak RSS.
 */
export const TEST_PACKAGES = [
  "python3-libtorrent",
  "transmission-cli",
  "aria2",
  "opentracker",
  "mktorrent",
  "time",
] as const;

async function installed(name: string): Promise<boolean> {
  try {
    const { code, stdout } = await new Deno.Command("dpkg-query", {
      args: ["-W", "-f=${Status}", name],
      stdout: "piped",
      stderr: "null",
    }).output();
    return code === 0 && new TextDecoder().decode(stdout).includes("install ok installed");
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[]): Promise<void> {
  const { code } = await new Deno.Command(cmd, {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${code}`);
}

if (import.meta.main) {
  const missing: string[] = [];
  for (const name of TEST_PACKAGES) if (!(await installed(name))) missing.push(name);
  if (missing.length > 0) {
    if (Deno.uid() !== 0) {
      console.error(`The tests need these Debian packages: ${missing.join(" ")}`);
      console.error(`Install them with: sudo apt-get install -y ${missing.join(" ")}`);
      Deno.exit(1);
    }
    console.error(`Installing ${missing.join(" ")} for the interop tests`);
    await run("apt-get", ["update", "-qq"]);
    await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing]);
  }
}
