import assert from "node:assert/strict";
import { addressOf, peerName } from "./torrent_peers.ts";

Deno.test("peerName() behaviour: canonical hosts, IPv6 in brackets, IPv4-mapped as IPv4", () => {
  assert.equal(peerName({ host: "192.0.2.7", port: 6881 }), "192.0.2.7:6881");
  assert.equal(peerName({ host: "::1", port: 6881 }), "[::1]:6881");
  assert.equal(peerName({ host: "2001:DB8:0:0:0:0:0:7", port: 1 }), "[2001:db8::7]:1");
  // A dual-stack listener sees an IPv4 peer as ::ffff:a.b.c.d: one peer, one name.
  assert.equal(peerName({ host: "::ffff:127.0.0.1", port: 5 }), "127.0.0.1:5");
  assert.equal(peerName({ host: "::ffff:7f00:1", port: 5 }), "127.0.0.1:5");
  // Not an IP literal (a name, or a zone): kept as given.
  assert.equal(peerName({ host: "fe80::1%eth0", port: 2 }), "[fe80::1%eth0]:2");
  assert.equal(peerName({ host: "localhost", port: 3 }), "localhost:3");
});

Deno.test("addressOf() behaviour: reads back what peerName() wrote", () => {
  for (const host of ["192.0.2.7", "::1", "2001:db8::7", "fe80::1%eth0"]) {
    assert.deepEqual(addressOf(peerName({ host, port: 6881 })), { host, port: 6881 });
  }
});
