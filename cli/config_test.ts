import { deepEqual, equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, DEFAULT_DHT_BOOTSTRAP, loadSettings } from "./config.ts";

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

Deno.test("loadSettings() layers the DHT, PEX and LSD switches: defaults < ccbt.toml < CCBT_* env < flags", async () => {
  await withDir(async (cwd) => {
    const defaults = await loadSettings({}, { env: envOf(), cwd });
    deepEqual(
      [defaults.dht, defaults.pex, defaults.lsd, defaults.dhtPort, defaults.dhtBootstrap],
      [true, true, true, undefined, DEFAULT_DHT_BOOTSTRAP],
    );
    deepEqual(DEFAULT_DHT_BOOTSTRAP.map((n) => `${n.host}:${n.port}`), [
      "router.bittorrent.com:6881",
      "dht.transmissionbt.com:6881",
      "router.utorrent.com:6881",
      "dht.libtorrent.org:25401",
    ]);

    await Deno.writeTextFile(
      join(cwd, "ccbt.toml"),
      'dht = false\ndht_port = 7001\ndht_bootstrap = ["node.example:6881", "[::1]:7002", "10.0.0.1:7003"]\n' +
        "pex = false\nlsd = false\n",
    );
    const fromFile = await loadSettings({}, { env: envOf(), cwd });
    deepEqual([fromFile.dht, fromFile.pex, fromFile.lsd, fromFile.dhtPort], [false, false, false, 7001]);
    deepEqual(fromFile.dhtBootstrap, [
      { host: "node.example", port: 6881 },
      { host: "::1", port: 7002 },
      { host: "10.0.0.1", port: 7003 },
    ]);

    const env = envOf({ CCBT_DHT: "1", CCBT_PEX: "yes", CCBT_LSD: "ON", CCBT_DHT_PORT: "7100" });
    const fromEnv = await loadSettings({}, { env, cwd });
    deepEqual([fromEnv.dht, fromEnv.pex, fromEnv.lsd, fromEnv.dhtPort], [true, true, true, 7100]);
    equal(fromEnv.dhtBootstrap.length, 3, "no env variable for bootstrap nodes: the file's stay");

    const off = await loadSettings({}, {
      env: envOf({ CCBT_DHT: "0", CCBT_PEX: "false", CCBT_LSD: "off" }),
      cwd: "/nonexistent",
    });
    deepEqual([off.dht, off.pex, off.lsd, off.dhtBootstrap], [false, false, false, DEFAULT_DHT_BOOTSTRAP]);

    const flags = await loadSettings({
      dht: false,
      pex: undefined,
      lsd: false,
      dhtPort: 0,
      dhtBootstrap: [{ host: "127.0.0.1", port: 1 }],
    }, { env, cwd });
    deepEqual([flags.dht, flags.pex, flags.lsd, flags.dhtPort], [false, true, false, 0]);
    deepEqual(flags.dhtBootstrap, [{ host: "127.0.0.1", port: 1 }]);

    await Deno.writeTextFile(join(cwd, "ccbt.toml"), "dht_bootstrap = []\n");
    deepEqual((await loadSettings({}, { env: envOf(), cwd })).dhtBootstrap, [], "[] means saved nodes only");
  });
});

Deno.test("loadSettings() rejects bad DHT, PEX and LSD values with ConfigError", async () => {
  await withDir(async (cwd) => {
    const sources = { env: envOf(), cwd };
    for (
      const text of [
        'dht = "maybe"',
        "pex = 1",
        "dht_port = 65536",
        'dht_bootstrap = "router.bittorrent.com:6881"',
        'dht_bootstrap = ["no port"]',
        "dht_bootstrap = [6881]",
      ]
    ) {
      await Deno.writeTextFile(join(cwd, "ccbt.toml"), text);
      await rejects(loadSettings({}, sources), ConfigError, text);
    }
    for (const [name, value] of [["CCBT_DHT", "2"], ["CCBT_LSD", "nope"], ["CCBT_DHT_PORT", "x"]]) {
      await rejects(
        loadSettings({}, { env: envOf({ [name]: value }), cwd: "/nonexistent" }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(name),
      );
    }
  });
});
