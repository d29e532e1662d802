/**
 * The BEP 3 handshake over a byte transport, and the transport itself.
 *
 * @module
 */

import { PeerProtocolError } from "./errors.ts";
import { type Handshake, HANDSHAKE_LENGTH, type WireDecoder } from "./wire/mod.ts";

/** A reliable, ordered byte stream to one peer (a TCP connection in production). */
export interface ByteTransport {
  /** Reads into `buffer`; resolves to the byte count, or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data`; resolves to the count written. */
  write(data: Uint8Array): Promise<number>;
  /** Closes the stream; pending reads end. */
  close(): void;
}

/** Writes every byte of `data` to `transport`. */
export async function writeAll(transport: ByteTransport, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await transport.write(data.subarray(offset));
}

/**
 * Reads the peer's 68-byte handshake (BEP 3) through `decoder`, waiting at most `timeoutMs`.
 * @throws {PeerProtocolError} `bad_handshake` for a malformed handshake, `handshake_timeout`, or
 *   `connection_closed` when the stream ends first.
 */
export async function readHandshake(
  transport: ByteTransport,
  decoder: WireDecoder,
  timeoutMs: number,
): Promise<Handshake> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      transport.close();
      reject(new PeerProtocolError("handshake_timeout", `Peer sent no handshake within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const read = (async () => {
    while (true) {
      const handshake = decoder.nextHandshake();
      if (handshake !== null) return handshake;
      const n = await transport.read(decoder.writable());
      if (n === null) {
        throw new PeerProtocolError(
          "connection_closed",
          `Peer closed the connection after ${decoder.buffered} of ${HANDSHAKE_LENGTH} handshake bytes`,
        );
      }
      decoder.commit(n);
    }
  })();
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
    read.catch(() => {});
  }
}
