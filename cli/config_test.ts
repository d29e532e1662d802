import { equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, loadSettings } from "./config.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A fake environment: a home with no config, plus `vars`. */
function envOf(vars: Record<string, string> = {}): (name: string) => string | undefined {
  const all: Record<string, string> = {
    HOME: "/home/someone",
    XDG_CONFIG_HOME: "/nonexistent-config",
    ...vars,
  };
  return (name) => all[name];
}

Deno.test("loadSettings() layers defaults < ccbt.toml < CCBT_* env < flags", async () => {
  await withDir(async (cwd) => {
    const defaults = await loadSettings({}, { env: envOf(), cwd });
    equal(defaults.stateDir, "/home/someone/.local/share/ccbt");
    equal(defaults.port, 6881);
    equal(defaults.hashBackend, "native");
    equal((await loadSettings({}, { env: envOf({ XDG_DATA_HOME: "/data" }), cwd })).stateDir, "/data/ccbt");

    await Deno.writeTextFile(
      join(cwd, "ccbt.toml"),
      'state_dir = "/srv/ccbt"\nport = 7000\nhash_backend = "wasm"\n',
    );
    const fromFile = await loadSettings({}, { env: envOf(), cwd });
    equal(fromFile.stateDir, "/srv/ccbt");
    equal(fromFile.port, 7000);
    equal(fromFile.hashBackend, "wasm");

    const env = envOf({ CCBT_PORT: "7100", CCBT_STATE_DIR: "/env/state" });
    const fromEnv = await loadSettings({}, { env, cwd });
    equal(fromEnv.port, 7100);
    equal(fromEnv.stateDir, "/env/state");

    const fromFlags = await loadSettings({ port: 0, stateDir: "/flag/state", hashBackend: undefined }, {
      env,
      cwd,
    });
    equal(fromFlags.port, 0);
    equal(fromFlags.stateDir, "/flag/state");
    equal(fromFlags.hashBackend, "wasm");
  });
});

Deno.test("loadSettings() reads ~/.config/ccbt/ccbt.toml when the current directory has none", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "config", "ccbt"), { recursive: true });
    await Deno.writeTextFile(join(dir, "config", "ccbt", "ccbt.toml"), "port = 6999\n");
    const env = envOf({ XDG_CONFIG_HOME: join(dir, "config") });
    equal((await loadSettings({}, { env, cwd: join(dir, "config") })).port, 6999);
  });
});

Deno.test("loadSettings() rejects a broken ccbt.toml and out-of-range values with ConfigError", async () => {
  await withDir(async (cwd) => {
    const sources = { env: envOf(), cwd };
    await Deno.writeTextFile(join(cwd, "ccbt.toml"), "port = [unclosed");
    await rejects(loadSettings({}, sources), ConfigError);
    await Deno.writeTextFile(join(cwd, "ccbt.toml"), "port = 70000");
    await rejects(loadSettings({}, sources), ConfigError);
    await Deno.writeTextFile(join(cwd, "ccbt.toml"), 'hash_backend = "md5"');
    await rejects(loadSettings({}, sources), ConfigError);
    await rejects(loadSettings({}, { env: envOf({ CCBT_PORT: "-1" }), cwd: "/nonexistent" }), ConfigError);
  });
});
