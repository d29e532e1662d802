import assert from "node:assert/strict";
import dgram from "node:dgram";
import { LsdService } from "./lsd.ts";
import { encodeLsdAnnounce } from "./lsd_announce.ts";

const H1 = "0123456789abcdef0123456789abcdef01234567";
const H2 = "89abcdef0123456789abcdef0123456789abcdef";
/** A group of our own, so tests never meet a real LSD client on this machine. */
const GROUP = "239.192.152.201";

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
