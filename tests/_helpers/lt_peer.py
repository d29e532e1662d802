#!/usr/bin/python3
"""A libtorrent 2.0 peer for ccbt's interop tests, driven from Deno over stdout.

Run with Debian's /usr/bin/python3 (python3-libtorrent is installed for it only).
Every subcommand prints one JSON object per line on stdout and nothing else:

  seed TORRENT DATA_DIR [--port N] [--connect HOST:PORT]... [--tracker-ok] [--seed-mode] [--upload-limit B]
       [--dht-node HOST:PORT]...
      Checks DATA_DIR (or trusts it with --seed-mode), prints {"event":"listening","port":N,...} once it can
      serve every piece, then serves until SIGTERM/SIGINT (clean exit 0). --connect makes the seeder dial a
      peer (retried while not connected): Transmission 3 ignores 127.x peers from trackers but accepts
      incoming connections. --tracker-ok delays "listening" until a tracker announce succeeded.
      --upload-limit caps the torrent's upload at B bytes/s (per torrent: libtorrent's session-wide limits
      skip local peers), so a test can catch a download half-way. --dht-node turns the DHT on (see dht) and
      announces the torrent there every 2 s; "listening" then waits for a non-empty routing table.
  dht [--port N] [--dht-node HOST:PORT]...
      A DHT node (BEP 5) and nothing else: prints {"event":"listening","port":N} (the UDP port of the DHT is the
      listen port), then {"event":"dht","nodes":N} about every 0.5 s with the size of its routing table.
  leech TORRENT SAVE_DIR [--peer HOST:PORT]... [--port N] [--magnet URI] [--stay]
      Prints "listening", then {"event":"progress",...} about every 0.5 s, then {"event":"finished",...}
      when the torrent is seeding, and exits 0 (or keeps seeding with --stay). TORRENT is ignored ("-")
      with --magnet.
  create PATH OUT.torrent [--piece-length N] [--tracker URL]... [--v1-only | --hybrid | --v2-only]
      Writes a v1 torrent (default) and prints {"event":"created","info_hash":HEX,...}.
  infohash TORRENT
      Prints {"info_hash":HEX,"info_hash_v2":HEX|null,...,"files":[...]} (the info-hash used on the wire: v1,
      or the truncated v2 for a v2-only torrent; each file with its path, size, offset, pad flag, v2 root).

Errors print {"event":"error","message":...} and exit 1. Peers listen on 127.0.0.1 only, with DHT (unless
--dht-node is given), LSD, UPnP, NAT-PMP and uTP off and several connections per IP allowed, since every test
peer is 127.0.0.1. With --dht-node the DHT runs with libtorrent's loopback restrictions lifted (several nodes per
IP, no dark-internet filter, unverified node ids accepted) and the given nodes added as ordinary nodes, not
routers: libtorrent keeps routers out of its routing table, so nodes that only know each other as routers never
fill their tables.
The process exits by itself when its parent dies, so a crashed test run leaves no peer behind.
"""

import argparse
import json
import os
import signal
import sys
import time

import libtorrent as lt

PROGRESS_INTERVAL_S = 0.5
RECONNECT_INTERVAL_S = 2.0

stop_requested = False


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def fail(message):
    emit({"event": "error", "message": message})
    sys.exit(1)


def on_signal(_signum, _frame):
    global stop_requested
    stop_requested = True


def parse_endpoint(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        fail("Cannot parse peer address: expected HOST:PORT, got %r" % text)
    return (host.strip("[]"), int(port))


DHT_ANNOUNCE_INTERVAL_S = 2.0


def make_session(port, dht_nodes=(), dht=False):
    settings = {
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": dht or bool(dht_nodes),
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_prefer_verified_node_ids": False,
        "dht_ignore_dark_internet": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "enable_incoming_tcp": True,
        "enable_outgoing_tcp": True,
        "allow_multiple_connections_per_ip": True,
        "validate_https_trackers": False,
        "ssrf_mitigation": False,
        "upload_rate_limit": 0,
        "download_rate_limit": 0,
        "announce_to_all_tiers": True,
        "announce_to_all_trackers": True,
        "min_reconnect_time": 1,
        "stop_tracker_timeout": 1,
        "dht_bootstrap_nodes": "",
        "user_agent": "lt_peer.py/libtorrent " + lt.__version__,
        "alert_mask": lt.alert_category.error
        | lt.alert_category.status
        | lt.alert_category.tracker
        | lt.alert_category.storage
        | lt.alert_category.connect
        | lt.alert_category.peer
        | lt.alert_category.dht,
    }
    ses = lt.session(settings)
    for node in dht_nodes:
        ses.add_dht_node(parse_endpoint(node))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.listen_failed_alert):
                fail("Cannot listen on 127.0.0.1:%d: %s" % (port, a.message()))
            if isinstance(a, lt.listen_succeeded_alert):
                return ses
    fail("Cannot listen on 127.0.0.1:%d: no listen alert after 10 s" % port)


def report_alert(a):
    """Prints the alerts a test may need to explain a failure; returns the alert for chaining."""
    if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.metadata_failed_alert)):
        emit({"event": "torrent_error", "message": a.message()})
    elif isinstance(a, lt.tracker_error_alert):
        emit({"event": "tracker_error", "message": a.message()})
    elif isinstance(a, lt.tracker_reply_alert):
        emit({"event": "tracker_reply", "peers": a.num_peers})
    elif isinstance(a, lt.peer_connect_alert):
        emit({"event": "peer_connected", "peer": "%s:%d" % a.endpoint})
    elif isinstance(a, lt.peer_disconnected_alert):
        emit({"event": "peer_disconnected", "peer": "%s:%d" % a.endpoint, "message": a.message()})
    elif isinstance(a, lt.metadata_received_alert):
        emit({"event": "metadata_received"})
    elif isinstance(a, lt.dht_reply_alert):
        emit({"event": "dht_reply", "peers": a.num_peers})
    elif isinstance(a, lt.dht_announce_alert):
        emit({"event": "dht_announce", "peer": "%s:%d" % (a.ip, a.port)})
    return a


def status_event(h):
    s = h.status()
    return {
        "event": "progress",
        "progress": round(s.progress, 6),
        "peers": s.num_peers,
        "seeds": s.num_seeds,
        "state": str(s.state),
        "download_rate": s.download_rate,
        "upload_rate": s.upload_rate,
        "total_download": s.total_payload_download,
        "total_upload": s.total_payload_upload,
    }


def add_torrent(ses, atp):
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    return ses.add_torrent(atp)


def watch_parent():
    """Returns a function telling whether the process that started us is gone."""
    parent = os.getppid()
    return lambda: os.getppid() != parent


def cmd_seed(args):
    ses = make_session(args.port, args.dht_node)
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(args.torrent)
    atp.save_path = args.data_dir
    if args.seed_mode:
        atp.flags |= lt.torrent_flags.seed_mode
    h = add_torrent(ses, atp)
    if args.upload_limit > 0:
        h.set_upload_limit(args.upload_limit)
    orphaned = watch_parent()
    connect = [parse_endpoint(p) for p in args.connect]
    ready = False
    checked = False
    tracker_ok = not args.tracker_ok
    dht_ok = not args.dht_node
    dht_nodes = 0
    last_dht_announce = 0.0
    last_connect = 0.0
    last_progress = 0.0
    while not stop_requested and not orphaned():
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            report_alert(a)
            if isinstance(a, lt.tracker_reply_alert):
                tracker_ok = True
            elif isinstance(a, lt.dht_stats_alert):
                dht_nodes = sum(b["num_nodes"] for b in a.routing_table)
            elif isinstance(a, lt.torrent_checked_alert):
                checked = True
        s = h.status()
        if s.errc.value() != 0:
            fail("Cannot seed %s: %s" % (args.torrent, s.errc.message()))
        if checked and not s.is_seeding:
            fail("Cannot seed %s: data in %s is incomplete (progress %.4f)" % (args.torrent, args.data_dir, s.progress))
        now = time.monotonic()
        if s.is_seeding and connect and s.num_peers == 0 and now - last_connect >= RECONNECT_INTERVAL_S:
            last_connect = now
            for endpoint in connect:
                h.connect_peer(endpoint)
        if s.is_seeding and args.tracker_ok and not tracker_ok and now - last_connect >= RECONNECT_INTERVAL_S:
            last_connect = now
            h.force_reannounce()
        if s.is_seeding and args.dht_node and now - last_dht_announce >= DHT_ANNOUNCE_INTERVAL_S:
            last_dht_announce = now
            ses.post_dht_stats()
            if dht_nodes > 0:
                dht_ok = True
                h.force_dht_announce()
        if not ready and s.is_seeding and tracker_ok and dht_ok:
            ready = True
            emit({"event": "listening", "port": ses.listen_port(), "info_hash": str(atp.ti.info_hashes().v1)})
        if ready and now - last_progress >= PROGRESS_INTERVAL_S:
            last_progress = now
            emit(status_event(h))
    ses.pause()
    emit({"event": "stopped"})


def cmd_leech(args):
    ses = make_session(args.port)
    if args.magnet:
        atp = lt.parse_magnet_uri(args.magnet)
    else:
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(args.torrent)
    atp.save_path = args.save_dir
    h = add_torrent(ses, atp)
    emit({"event": "listening", "port": ses.listen_port()})
    orphaned = watch_parent()
    peers = [parse_endpoint(p) for p in args.peer]
    finished = False
    last_connect = 0.0
    last_progress = 0.0
    while not stop_requested and not orphaned():
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            report_alert(a)
        s = h.status()
        if s.errc.value() != 0:
            fail("Cannot download %s: %s" % (args.magnet or args.torrent, s.errc.message()))
        now = time.monotonic()
        if peers and s.num_peers == 0 and now - last_connect >= RECONNECT_INTERVAL_S:
            last_connect = now
            for endpoint in peers:
                h.connect_peer(endpoint)
        if now - last_progress >= PROGRESS_INTERVAL_S:
            last_progress = now
            emit(status_event(h))
        if not finished and s.is_seeding:
            finished = True
            emit({"event": "finished", "total_download": s.total_payload_download})
            if not args.stay:
                break
    ses.pause()


def cmd_dht(args):
    ses = make_session(args.port, args.dht_node, dht=True)
    emit({"event": "listening", "port": ses.listen_port()})
    orphaned = watch_parent()
    last_stats = 0.0
    while not stop_requested and not orphaned():
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            report_alert(a)
            if isinstance(a, lt.dht_stats_alert):
                emit({"event": "dht", "nodes": sum(b["num_nodes"] for b in a.routing_table)})
        now = time.monotonic()
        if now - last_stats >= PROGRESS_INTERVAL_S:
            last_stats = now
            ses.post_dht_stats()
    emit({"event": "stopped"})


def cmd_create(args):
    fs = lt.file_storage()
    path = os.path.abspath(args.path)
    if not os.path.exists(path):
        fail("Cannot create torrent: %s does not exist" % path)
    lt.add_files(fs, path)
    if fs.num_files() == 0:
        fail("Cannot create torrent: %s holds no files" % path)
    flags = 0
    if args.kind == "v1":
        flags = lt.create_torrent.v1_only
    elif args.kind == "v2":
        flags = lt.create_torrent.v2_only
    ct = lt.create_torrent(fs, args.piece_length, flags=flags)
    for tier, url in enumerate(args.tracker):
        ct.add_tracker(url, tier)
    ct.set_creator("lt_peer.py")
    lt.set_piece_hashes(ct, os.path.dirname(path))
    data = lt.bencode(ct.generate())
    with open(args.out, "wb") as f:
        f.write(data)
    emit(dict(event="created", **describe(lt.torrent_info(args.out))))


def describe(ti):
    hashes = ti.info_hashes()
    return {
        # The 20-byte info-hash used on the wire and with trackers: v1, or the truncated v2 (BEP 52).
        "info_hash": str(hashes.v1) if hashes.has_v1() else str(hashes.v2)[:40],
        "info_hash_v2": str(hashes.v2) if hashes.has_v2() else None,
        "name": ti.name(),
        "total_size": ti.total_size(),
        "piece_length": ti.piece_length(),
        "num_pieces": ti.num_pieces(),
        "num_files": ti.num_files(),
        # Every file as libtorrent lays it out (pad files included), with its v2 pieces root (hex) or null.
        "files": [describe_file(ti.files(), i) for i in range(ti.num_files())],
    }


def describe_file(fs, i):
    root = fs.root(i)
    return {
        "path": fs.file_path(i),
        "size": fs.file_size(i),
        "offset": fs.file_offset(i),
        "pad": bool(fs.file_flags(i) & lt.file_storage.flag_pad_file),
        "root": None if root.is_all_zeros() else str(root),
    }


def cmd_infohash(args):
    emit(describe(lt.torrent_info(args.torrent)))


def main():
    parser = argparse.ArgumentParser(prog="lt_peer.py", description="libtorrent peer for ccbt interop tests")
    sub = parser.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed")
    seed.add_argument("torrent")
    seed.add_argument("data_dir")
    seed.add_argument("--port", type=int, default=0)
    seed.add_argument("--connect", action="append", default=[], metavar="HOST:PORT")
    seed.add_argument("--tracker-ok", action="store_true")
    seed.add_argument("--seed-mode", action="store_true")
    seed.add_argument("--upload-limit", type=int, default=0, metavar="BYTES_PER_S")
    seed.add_argument("--dht-node", action="append", default=[], metavar="HOST:PORT")
    seed.set_defaults(run=cmd_seed)

    dht = sub.add_parser("dht")
    dht.add_argument("--port", type=int, default=0)
    dht.add_argument("--dht-node", action="append", default=[], metavar="HOST:PORT")
    dht.set_defaults(run=cmd_dht)

    leech = sub.add_parser("leech")
    leech.add_argument("torrent")
    leech.add_argument("save_dir")
    leech.add_argument("--peer", action="append", default=[], metavar="HOST:PORT")
    leech.add_argument("--port", type=int, default=0)
    leech.add_argument("--magnet")
    leech.add_argument("--stay", action="store_true")
    leech.set_defaults(run=cmd_leech)

    create = sub.add_parser("create")
    create.add_argument("path")
    create.add_argument("out")
    create.add_argument("--piece-length", type=int, default=0)
    create.add_argument("--tracker", action="append", default=[])
    kind = create.add_mutually_exclusive_group()
    kind.add_argument("--v1-only", dest="kind", action="store_const", const="v1")
    kind.add_argument("--hybrid", dest="kind", action="store_const", const="hybrid")
    kind.add_argument("--v2-only", dest="kind", action="store_const", const="v2")
    create.set_defaults(run=cmd_create, kind="v1")

    infohash = sub.add_parser("infohash")
    infohash.add_argument("torrent")
    infohash.set_defaults(run=cmd_infohash)

    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        args.run(args)
    except SystemExit:
        raise
    except Exception as e:  # libtorrent raises RuntimeError for bad torrents and files
        fail("Cannot %s: %s" % (args.command, e))


if __name__ == "__main__":
    main()
