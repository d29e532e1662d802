#!/usr/bin/python3
"""libtorrent's torrent creation, for ccbt's create bench (`deno task bench --only create`).

Run with Debian's /usr/bin/python3 (python3-libtorrent is installed for it only):

  lt_create.py PATH OUTPUT --version v1|v2|hybrid --piece-length BYTES

Makes a torrent of PATH (a file or a directory) the way a libtorrent user does: `add_files`, then
`create_torrent(fs, piece_length, flags=v1_only|v2_only|0)` (0 is a hybrid v1 + v2 torrent in libtorrent 2.0),
`set_piece_hashes` with the parent directory of PATH, `bencode(generate())` written to OUTPUT. Settings are
libtorrent's defaults.

Prints one JSON line on stdout:
  {"event":"created","version":V,"piece_length":P,"pieces":N,"hash_seconds":H,"seconds":S}
where H is `set_piece_hashes` alone and S everything from `add_files` to the file written, in seconds; exits 0.
On failure prints {"event":"error","message":...} and exits 1.
"""

import argparse
import json
import os
import sys
import time

import libtorrent as lt

FLAGS = {
    "v1": lt.create_torrent.v1_only,
    "v2": lt.create_torrent.v2_only,
    "hybrid": 0,
}


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("output")
    parser.add_argument("--version", choices=sorted(FLAGS), default="v1")
    parser.add_argument("--piece-length", type=int, required=True)
    args = parser.parse_args()

    source = os.path.abspath(args.path)
    started = time.monotonic()
    try:
        fs = lt.file_storage()
        lt.add_files(fs, source)
        if fs.num_files() == 0:
            raise RuntimeError("no files")
        ct = lt.create_torrent(fs, args.piece_length, flags=FLAGS[args.version])
        hashing = time.monotonic()
        lt.set_piece_hashes(ct, os.path.dirname(source))
        hash_seconds = time.monotonic() - hashing
        data = lt.bencode(ct.generate())
        with open(args.output, "wb") as out:
            out.write(data)
    except (RuntimeError, OSError) as error:
        emit({"event": "error", "message": "Cannot create a torrent of %s: %s" % (source, error)})
        sys.exit(1)
    emit({
        "event": "created",
        "version": args.version,
        "piece_length": ct.piece_length(),
        "pieces": ct.num_pieces(),
        "hash_seconds": hash_seconds,
        "seconds": time.monotonic() - started,
    })


if __name__ == "__main__":
    main()
