import { deepEqual, equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { fetchMagnetMetadata, type MagnetFetchContext } from "./magnet_metadata.ts";
import { createTorrent, formatMagnet, parseMagnet, type TorrentInfo } from "./metainfo/mod.ts";
import type { ByteTransport } from "./peer_handshake.ts";
import { Session } from "./session.ts";
import type { PeerAddress } from "./tracker/mod.ts";

const peerId = new Uint8Array(20).fill(7);

/** How to reach peers, counting the connections made. */
function context(dialled: PeerAddress[]): MagnetFetchContext {
  return {
    peerId,
    connectTimeout: 2_000,
    handshakeTimeout: 2_000,
    connect: (peer: PeerAddress): Promise<ByteTransport> => {
      dialled.push(peer);
      return Deno.connect({ hostname: peer.host, port: peer.port });
    },
  };
}

/** A ccbt session seeding a v2 and a hybrid torrent on 127.0.0.1. */
async function seeder(dir: string): Promise<{ session: Session; v2: TorrentInfo; hybrid: TorrentInfo }> {
  await Deno.mkdir(join(dir, "data"), { recursive: true });
  await Deno.writeFile(join(dir, "data", "f.bin"), new Uint8Array(70_000).map((_, i) => i % 249));
  const made = await Promise.all(
    (["v2", "hybrid"] as const).map((version) =>
      createTorrent(join(dir, "data", "f.bin"), { pieceLength: 16384, version })
    ),
  );
  const session = new Session({ listenHost: "127.0.0.1" });
  for (const { bytes } of made) await session.addTorrent({ torrent: bytes, savePath: join(dir, "data") });
  const ready = () => session.torrents().every((t) => t.status().state === "seeding");
  for (let waited = 0; !ready(); waited += 10) {
    if (waited > 10_000) throw new Error("The seeder is not ready after 10 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { session, v2: made[0].info, hybrid: made[1].info };
}

Deno.test("fetchMagnetMetadata() fetches a v2-only link's metadata and checks it by SHA-256 (BEP 52)", async () => {
  const dir = await Deno.makeTempDir();
  const seed = await seeder(dir);
  try {
    const address = { host: "127.0.0.1", port: seed.session.listenPort };
    const v2 = parseMagnet(`magnet:?xt=urn:btmh:1220${seed.v2.infoHashV2Hex}`);
    deepEqual(
      await fetchMagnetMetadata(v2, [address], context([]), { timeoutMs: 10_000 }),
      seed.v2.infoBytes,
    );
    const hybrid = parseMagnet(formatMagnet({ ...seed.hybrid, trackers: [], name: undefined }));
    equal(hybrid.infoHashV2?.length, 32);
    deepEqual(
      await fetchMagnetMetadata(hybrid, [address], context([]), { timeoutMs: 10_000 }),
      seed.hybrid.infoBytes,
    );
  } finally {
    await seed.session.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetchMagnetMetadata() discards metadata whose SHA-256 is not the link's btmh hash and drops its sender", async () => {
  const dir = await Deno.makeTempDir();
  const seed = await seeder(dir);
  try {
    const address = { host: "127.0.0.1", port: seed.session.listenPort };
    // Hybrid: the btih hash finds the torrent and its SHA-1 matches, but the btmh hash names other metadata.
    const wrongV2 = formatMagnet({
      infoHash: seed.hybrid.infoHash,
      infoHashV2: new Uint8Array(32).fill(1),
      name: undefined,
      trackers: [],
    });
    const dialled: PeerAddress[] = [];
    await rejects(
      fetchMagnetMetadata(parseMagnet(wrongV2), [address], context(dialled), { timeoutMs: 10_000 }),
      /Cannot fetch the metadata of [0-9a-f]{40}: no peer had it/,
    );
    equal(dialled.length, 1);
    // v2-only: the truncated hash finds the torrent, but the rest of the btmh hash differs.
    const forged = seed.v2.infoHashV2!.slice();
    forged[31] ^= 1;
    const link = parseMagnet(
      formatMagnet({
        infoHash: forged.slice(0, 20),
        infoHashV2: forged,
        v2Only: true,
        name: undefined,
        trackers: [],
      }),
    );
    equal(link.infoHashHex, seed.v2.infoHashHex);
    await rejects(
      fetchMagnetMetadata(link, [address], context([]), { timeoutMs: 10_000 }),
      /no peer had it/,
    );
  } finally {
    await seed.session.close();
    await Deno.remove(dir, { recursive: true });
  }
});
