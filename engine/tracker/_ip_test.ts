import assert from "node:assert/strict";
import fc from "fast-check";
import { addressScope, formatIp, formatIpv6, parseIp, parseIpv4, parseIpv6 } from "./_ip.ts";

Deno.test("parseIpv4() accepts strict dotted decimal only", () => {
  assert.deepEqual(parseIpv4("192.0.2.7"), new Uint8Array([192, 0, 2, 7]));
  assert.deepEqual(parseIpv4("0.0.0.0"), new Uint8Array(4));
  for (
    const bad of ["127.1", "010.0.0.1", "256.0.0.1", "1.2.3.4.5", "1.2.3.", "0x7f.0.0.1", "1.2.3.-4", ""]
  ) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

Deno.test("parseIpv6() reads compressed, full and IPv4-tailed text", () => {
  assert.deepEqual(parseIpv6("::"), new Uint8Array(16));
  assert.deepEqual(parseIpv6("::1"), new Uint8Array([...new Uint8Array(15), 1]));
  assert.deepEqual(
    parseIpv6("2001:db8:0:0:0:0:2:1"),
    new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]),
  );
  assert.deepEqual(parseIpv6("2001:db8::2:1"), parseIpv6("2001:db8:0:0:0:0:2:1"));
  assert.deepEqual(parseIpv6("::ffff:10.1.2.3")?.subarray(10), new Uint8Array([0xff, 0xff, 10, 1, 2, 3]));
  for (
    const bad of [
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "fe80::1%eth0",
      "[::1]",
      "g::",
      ":1",
      "1:",
    ]
  ) {
    assert.equal(parseIpv6(bad), undefined, bad);
  }
});

Deno.test("formatIpv6() follows RFC 5952", () => {
  assert.equal(formatIpv6(parseIpv6("2001:0db8:0000:0000:0000:0000:0002:0001")!), "2001:db8::2:1");
  assert.equal(formatIpv6(parseIpv6("2001:db8:0:1:1:1:1:1")!), "2001:db8:0:1:1:1:1:1");
  assert.equal(formatIpv6(parseIpv6("2001:0:0:1:0:0:0:1")!), "2001:0:0:1::1");
  assert.equal(formatIpv6(parseIpv6("2001:db8:0:0:1:0:0:1")!), "2001:db8::1:0:0:1");
  assert.equal(formatIpv6(new Uint8Array(16)), "::");
});

Deno.test("formatIp() round-trips through parseIp() and maps IPv4-mapped IPv6 to IPv4", () => {
  assert.equal(formatIp(parseIp("::ffff:192.0.2.1")!), "192.0.2.1");
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
    const text = formatIpv6(bytes);
    assert.deepEqual(parseIpv6(text), bytes);
    assert.deepEqual(new URL(`http://[${text}]/`).hostname, `[${text}]`);
  }));
  fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
    assert.deepEqual(parseIp(formatIp(bytes)), bytes);
  }));
});

Deno.test("addressScope() sorts addresses into loopback, private, public and unusable", () => {
  const table: [string, string][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.1.1", "private"],
    ["100.64.0.1", "private"],
    ["fd00::2", "private"],
    ["fe80::1", "private"],
    ["8.8.8.8", "public"],
    ["172.32.0.1", "public"],
    ["2001:db8::1", "public"],
    ["0.0.0.0", "unusable"],
    ["0.1.2.3", "unusable"],
    ["224.0.0.1", "unusable"],
    ["239.255.255.250", "unusable"],
    ["255.255.255.255", "unusable"],
    ["::", "unusable"],
    ["ff02::1", "unusable"],
  ];
  for (const [text, scope] of table) assert.equal(addressScope(parseIp(text)!), scope, text);
});
