import assert from "node:assert/strict";
import dgram from "node:dgram";
import { LsdService } from "./lsd.ts";
import { encodeLsdAnnounce } from "./lsd_announce.ts";
import { findIpv6Multicast, TEST_GROUP6 } from "./_test_ipv6.ts";

const H1 = "0123456789abcdef0123456789abcdef01234567";
const H2 = "89abcdef0123456789abcdef0123456789abcdef";
/** A group of our own, so tests never meet a real LSD client on this machine. */
const GROUP = "239.192.152.201";
/** Where IPv6 multicast loops back on this machine (never on lo), or why it cannot. */
const IPV6 = await findIpv6Multicast();
const NO_IPV6 = "reason" in IPV6 ? ` [ignored: ${IPV6.reason}]` : "";

interface Heard {
  infoHash: string;
  host: string;
  port: number;
}

function listen(service: LsdService): { heard: Heard[]; next: () => Promise<Heard> } {
  const heard: Heard[] = [];
  let wake: (() => void) | undefined;
  service.onPeer((infoHash, host, port) => {
    heard.push({ infoHash, host, port });
    wake?.();
  });
  let taken = 0;
  async function next(): Promise<Heard> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      while (heard.length <= taken) {
        await new Promise<void>((resolve, reject) => {
          wake = resolve;
          timer = setTimeout(() => reject(new Error("No LSD announce heard in 5 s")), 5000);
        });
        clearTimeout(timer);
      }
    } finally {
      clearTimeout(timer);
    }
    return heard[taken++];
  }
  return { heard, next };
}

async function pair(options: { maxMessagesPerSecond?: number } = {}): Promise<[LsdService, LsdService]> {
  const common = { group: GROUP, interface: "127.0.0.1", minAnnounceGap: 0, ...options };
  const a = new LsdService({ port: 6881, lsdPort: 0, ...common });
  await a.start();
  const b = new LsdService({ port: 6882, lsdPort: a.lsdPort, ...common });
  await b.start();
  return [a, b];
}

Deno.test("LsdService.announce() is heard by another service on this machine, not by itself", async () => {
  const [a, b] = await pair();
  try {
    const heardByA = listen(a);
    const heardByB = listen(b);
    a.announce([H1.toUpperCase()]);
    assert.deepEqual(await heardByB.next(), { infoHash: H1, host: "127.0.0.1", port: 6881 });
    b.announce([H2]);
    assert.deepEqual(await heardByA.next(), { infoHash: H2, host: "127.0.0.1", port: 6882 });
    assert.ok(heardByA.heard.every((h) => h.port === 6882), "a ignores its own announce");
    assert.ok(heardByB.heard.every((h) => h.port === 6881), "b ignores its own announce");
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("LsdService drops announces beyond maxMessagesPerSecond from one source", async () => {
  const [a, b] = await pair({ maxMessagesPerSecond: 3 });
  const sender = dgram.createSocket({ type: "udp4", reuseAddr: true });
  try {
    const heard = listen(b);
    await new Promise<void>((resolve) => sender.bind(0, "127.0.0.1", resolve));
    sender.setMulticastInterface("127.0.0.1");
    sender.setMulticastTTL(1);
    for (let port = 1; port <= 10; port++) {
      const bytes = encodeLsdAnnounce({ port, infoHashes: [H1], cookie: `s${port}` });
      await new Promise<void>((resolve) => sender.send(bytes, a.lsdPort, GROUP, () => resolve()));
    }
    await heard.next();
    await heard.next();
    await heard.next();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(heard.heard.map((h) => h.port), [1, 2, 3]);
  } finally {
    sender.close();
    await a.close();
    await b.close();
  }
});

Deno.test("LsdService() rejects bad options and a second start()", async () => {
  assert.throws(() => new LsdService({ port: 0 }), RangeError);
  assert.throws(() => new LsdService({ port: 1, lsdPort: 70000 }), RangeError);
  assert.throws(() => new LsdService({ port: 1, cookie: "a b" }), TypeError);
  const service = new LsdService({ port: 1, group: GROUP, interface: "127.0.0.1", lsdPort: 0 });
  assert.match(service.cookie, /^[0-9a-f]{16}$/);
  assert.throws(() => service.announce(["xyz"]), TypeError);
  await service.start();
  try {
    assert.ok(service.lsdPort > 0);
    await assert.rejects(() => service.start(), Error);
    service.announce([H1]);
    service.withdraw(H1);
  } finally {
    await service.close();
    await service.close();
  }
});

Deno.test({
  name: `LsdService with ipv6 is heard over the IPv6 group alone, from a source it can dial${NO_IPV6}`,
  ignore: "reason" in IPV6,
  fn: async () => {
    if ("reason" in IPV6) return;
    const v6 = { group: TEST_GROUP6, interface: IPV6.interface };
    // Each service has an IPv4 port of its own, so only the IPv6 group joins them.
    const a = new LsdService({
      port: 6881,
      group: GROUP,
      interface: "127.0.0.1",
      lsdPort: 0,
      minAnnounceGap: 0,
      ipv6: { ...v6, lsdPort: 0 },
    });
    await a.start();
    const b = new LsdService({
      port: 6882,
      group: GROUP,
      interface: "127.0.0.1",
      lsdPort: 0,
      minAnnounceGap: 0,
      ipv6: { ...v6, lsdPort: a.lsdPort6 },
    });
    await b.start();
    try {
      assert.ok(a.lsdPort6 > 0 && b.lsdPort6 === a.lsdPort6);
      assert.notEqual(a.lsdPort, b.lsdPort);
      const heardByB = listen(b);
      a.announce([H1]);
      const heard = await heardByB.next();
      assert.equal(heard.infoHash, H1);
      assert.equal(heard.port, 6881);
      assert.ok(heard.host.includes(":"), `an IPv6 source, got ${heard.host}`);
      if (/^fe80:/i.test(heard.host)) assert.ok(heard.host.endsWith(`%${IPV6.zone}`), heard.host);
    } finally {
      await a.close();
      await b.close();
    }
  },
});

Deno.test("LsdService runs on IPv4 alone when the IPv6 group cannot be joined", async () => {
  const common = { group: GROUP, interface: "127.0.0.1", minAnnounceGap: 0 };
  const a = new LsdService({ port: 6881, lsdPort: 0, ...common, ipv6: { group: "ff15::zz", lsdPort: 0 } });
  await a.start();
  const b = new LsdService({ port: 6882, lsdPort: a.lsdPort, ...common });
  await b.start();
  try {
    assert.equal(a.lsdPort6, 0);
    const heardByB = listen(b);
    a.announce([H2]);
    assert.deepEqual(await heardByB.next(), { infoHash: H2, host: "127.0.0.1", port: 6881 });
  } finally {
    await a.close();
    await b.close();
  }
  assert.throws(() => new LsdService({ port: 1, ipv6: { lsdPort: -1 } }), RangeError);
});
