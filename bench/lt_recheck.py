#!/usr/bin/python3
"""libtorrent's full check of a torrent's data, for ccbt's recheck bench (`deno task bench --only recheck`).

Run with Debian's /usr/bin/python3 (python3-libtorrent is installed for it only):

  lt_recheck.py TORRENT DATA_DIR [--mode initial|force] [--hashing-threads N]

Adds TORRENT with DATA_DIR as its save path and no resume data, so libtorrent hashes every piece it finds
(the "initial check"). With --mode force it then calls `force_recheck()` and hashes everything again. Either
way the timed part ends at the `torrent_checked_alert` of that check. The torrent is not auto-managed, so the
check starts at once rather than at the session's next auto-manage tick. Session settings are libtorrent's
defaults (hashing_threads, aio_threads, checking_mem_usage; --hashing-threads overrides the first) except that
nothing is announced or listened to beyond 127.0.0.1, so the check is the only work.

Prints one JSON line on stdout:
  {"event":"checked","mode":M,"seconds":S,"initial_seconds":I,"pieces":HAVE,"total":N,"hashing_threads":T,
   "aio_threads":A}
where S is the timed check (the force_recheck with --mode force) and I the initial check, in seconds; exits 0 when every piece matched, 1 otherwise (also {"event":"error",...} on failures).
"""

import argparse
import json
import os
import sys
import time

import libtorrent as lt

TIMEOUT_S = 900


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def fail(message):
    emit({"event": "error", "message": message})
    sys.exit(1)


def make_session(hashing_threads):
    settings = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "alert_mask": lt.alert_category.error | lt.alert_category.status | lt.alert_category.storage,
    }
    if hashing_threads is not None:
        settings["hashing_threads"] = hashing_threads
    return lt.session(settings)


def wait_checked(ses, handle, started):
    """Waits for the torrent_checked_alert of `handle`; returns the seconds since `started`."""
    parent = os.getppid()
    while time.monotonic() - started < TIMEOUT_S:
        ses.wait_for_alert(50)
        for alert in ses.pop_alerts():
            if isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert)):
                fail("Cannot check the torrent: %s" % alert.message())
            if isinstance(alert, lt.torrent_checked_alert) and alert.handle == handle:
                return time.monotonic() - started
        if os.getppid() != parent:
            sys.exit(1)
    fail("Cannot check the torrent: not done after %d s" % TIMEOUT_S)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("torrent")
    parser.add_argument("data_dir")
    parser.add_argument("--mode", choices=["initial", "force"], default="initial")
    parser.add_argument("--hashing-threads", type=int)
    args = parser.parse_args()

    ses = make_session(args.hashing_threads)
    atp = lt.add_torrent_params()
    try:
        atp.ti = lt.torrent_info(args.torrent)
    except RuntimeError as error:
        fail("Cannot read %s: %s" % (args.torrent, error))
    atp.save_path = args.data_dir
    # Not auto-managed: an auto-managed torrent waits in the checking queue until the session's next
    # auto-manage tick (0.5 s after adding, up to 1 s after force_recheck), which would add a fixed wait to a
    # measurement of hashing speed. Started unpaused, the check begins at once.
    atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    started = time.monotonic()
    handle = ses.add_torrent(atp)
    initial_seconds = wait_checked(ses, handle, started)
    seconds = initial_seconds
    if args.mode == "force":
        started = time.monotonic()
        handle.force_recheck()
        seconds = wait_checked(ses, handle, started)

    status = handle.status()
    settings = ses.get_settings()
    emit({
        "event": "checked",
        "mode": args.mode,
        "seconds": seconds,
        "initial_seconds": initial_seconds,
        "pieces": status.num_pieces,
        "total": atp.ti.num_pieces(),
        "hashing_threads": settings["hashing_threads"],
        "aio_threads": settings["aio_threads"],
    })
    sys.exit(0 if status.num_pieces == atp.ti.num_pieces() else 1)


if __name__ == "__main__":
    main()
