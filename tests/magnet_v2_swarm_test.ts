/**
 * v2-only and hybrid magnet links (BEP 9 with `urn:btmh`, BEP 52) between ccbt sessions on 127.0.0.1: the
 * metadata is checked by SHA-256 (and SHA-1 for a hybrid), the piece layers a v2 torrent's metadata lacks are
 * fetched with hash requests, and the data arrives byte-identical. A hybrid fetched through its v1 swarm (no hash
 * messages there) computes its piece layers from the verified data, so it can then serve a v2-only peer.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, parseTorrent, Session, type TorrentHandle } from "../mod.ts";
import { StateStore } from "../engine/storage/state_store.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { waitForStatus } from "./_helpers/hostile_session.ts";
import { magnetFor } from "./_helpers/magnet.ts";

const waitForSeeding = (handle: TorrentHandle) => waitForStatus(handle, (s) => s.state === "seeding", 30_000);

const FILES = [
  { path: "a.bin", size: 200_003 },
  { path: "sub/b.bin", size: 16_384 },
  { path: "c.bin", size: 70_000 },
];

/** The piece layers recorded with a torrent's metainfo in `stateDir`, waiting up to `ms` for them. */
async function recordedLayers(
  stateDir: string,
  infoHash: string,
  ms = 20_000,
): Promise<ReadonlyMap<string, Uint8Array>> {
  for (let waited = 0;; waited += 50) {
    const { store } = StateStore.open(stateDir);
    try {
      const metainfo = store.get(infoHash)?.metainfo;
      const layers = metainfo === undefined ? undefined : parseTorrent(metainfo).pieceLayers;
      if (layers !== undefined) return layers;
    } finally {
      store.close();
    }
    if (waited > ms) throw new Error(`No piece layers recorded for ${infoHash} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function sameLayers(
  actual: ReadonlyMap<string, Uint8Array>,
  expected: ReadonlyMap<string, Uint8Array>,
): void {
  deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [root, layer] of expected) deepEqual(actual.get(root), layer);
}

for (const kind of ["v2", "hybrid"] as const) {
  Deno.test(`Session.addMagnet() downloads a ${kind} torrent from a urn:btmh${kind === "hybrid" ? " + urn:btih" : ""} link`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `ccbt_magnet_${kind}_` });
    try {
      const data = join(dir, "seed");
      await makePayload(join(data, "set"), { files: FILES }, 51);
      const { bytes, info } = await createTorrent(join(data, "set"), { pieceLength: 16384, version: kind });
      await using seeder = new Session({ listenHost: "127.0.0.1" });
      await waitForSeeding(await seeder.addTorrent({ torrent: bytes, savePath: data }));
      const stateDir = join(dir, "state");
      await using leecher = new Session({ listenHost: "127.0.0.1", stateDir });
      const magnet = magnetFor(info, { v2Only: kind === "v2", ports: [seeder.listenPort] });
      ok(kind === "v2" ? !magnet.includes("btih") : magnet.includes("btih"), magnet);
      const out = join(dir, "out");
      const handle = await leecher.addMagnet({ magnet, savePath: out, timeoutMs: 20_000 });
      equal(handle.infoHash, info.infoHashHex);
      await waitForSeeding(handle);
      await assertSameTree(join(data, "set"), join(out, "set"));
      // The layers (fetched from the seeder, or for the hybrid computed from the data) are recorded with the
      // metainfo: a restart need not ask again.
      ok(info.pieceLayers!.size > 0);
      sameLayers(await recordedLayers(stateDir, info.infoHashHex), info.pieceLayers!);
      if (kind === "hybrid") {
        // Only the leecher is left, and a v2-only peer needs the layers from it to verify anything.
        await seeder.close();
        await using v2Peer = new Session({ listenHost: "127.0.0.1" });
        const v2Magnet = magnetFor(info, { v2Only: true, ports: [leecher.listenPort] });
        const v2Out = join(dir, "v2-out");
        const v2Handle = await v2Peer.addMagnet({ magnet: v2Magnet, savePath: v2Out, timeoutMs: 20_000 });
        await waitForSeeding(v2Handle);
        await assertSameTree(join(data, "set"), join(v2Out, "set"));
      }
      await leecher.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
