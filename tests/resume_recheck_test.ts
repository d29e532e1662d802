/**
 * A recheck cut short (HOSTILE_INPUTS.md case 66): the pieces it had verified are recorded as it goes, so the
 * next recheck hashes only the pieces it had not reached, and the data ends up complete and verified.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { Session, StateStore } from "../mod.ts";
import { FaultyDiskIo, InlineDiskIo } from "../engine/storage/mod.ts";
import type { DiskIo } from "../engine/storage/disk_io.ts";
import { waitForStatus } from "./_helpers/hostile_session.ts";
import { makeTorrentFixture, withTempDir } from "./_helpers/resume.ts";

/** `inner` with its `checkPiece` calls counted. */
function counting(inner: DiskIo): { io: DiskIo; calls: () => number } {
  let calls = 0;
  const io = new Proxy(inner, {
    get(target, key) {
      if (key === "checkPiece") {
        return (id: number, piece: number) => {
          calls++;
          return target.checkPiece(id, piece);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { io, calls: () => calls };
}

Deno.test("A recheck stopped half-way resumes from the pieces it had verified", async () => {
  await withTempDir("ccbt_recheck_resume_", async (dir) => {
    const fixture = await makeTorrentFixture(dir, {
      name: "data.bin",
      files: [{ path: "data.bin", size: 64 * 16384 }],
      pieceLength: 16384,
    });
    const state = join(dir, "state");
    const hex = fixture.info.infoHashHex;

    // 64 pieces, 8 checked at a time, 500 ms each (4 s): ~2 s in, a mid-check record is written; stop at 3 s.
    {
      const slow = new FaultyDiskIo(new InlineDiskIo(), { slowMs: 500 });
      const session = new Session({ listenHost: "127.0.0.1", stateDir: state, diskIo: slow });
      const handle = await session.addTorrent({
        torrent: fixture.bytes,
        savePath: fixture.data,
        mode: "recheck",
      });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      equal(handle.status().state, "checking");
      await session.close();
      await slow.close();
    }
    const { store } = StateStore.open(state);
    const record = store.get(hex)!;
    store.close();
    equal(record.state, "check_interrupted");
    const verified = [...record.have].reduce((n, byte) => n + bitCount(byte), 0);
    ok(verified > 0 && verified < 64, `${verified} pieces recorded as verified`);

    const { io, calls } = counting(new InlineDiskIo());
    await using session = new Session({ listenHost: "127.0.0.1", stateDir: state, diskIo: io });
    const handle = await session.addTorrent({
      torrent: fixture.bytes,
      savePath: fixture.data,
      mode: "recheck",
    });
    await waitForStatus(handle, (s) => s.state === "seeding", 10_000);
    equal(calls(), 64 - verified, "only the pieces the first recheck had not verified are hashed");
    equal(handle.status().piecesHave, 64);
  });
});

function bitCount(byte: number): number {
  let n = 0;
  for (let b = byte; b > 0; b >>= 1) n += b & 1;
  return n;
}
