/**
 * The one error class of the DHT (BEP 5): a KRPC error with its numeric code.
 *
 * @module
 */

/**
 * A KRPC error (BEP 5): a packet we cannot accept (code 203), an unknown method (204), or an error reply from a
 * remote node (any code it sent). Callers of `DhtNode` see it when a query gets an error reply.
 */
export class KrpcError extends Error {
  /** KRPC error code: 201 generic, 202 server, 203 protocol, 204 method unknown (BEP 5). */
  readonly code: number;
  /** Transaction id of the packet, when it could be read (so an error reply can echo it), else `undefined`. */
  readonly transactionId: Uint8Array | undefined;
  /**
   * Makes a KRPC error.
   * @param code KRPC error code (201–204, or what a remote node sent).
   * @param message What is wrong, e.g. "Cannot decode KRPC: id is 19 bytes, not 20".
   * @param transactionId The packet's `t`, when known.
   */
  constructor(code: number, message: string, transactionId?: Uint8Array) {
    super(message);
    this.name = "KrpcError";
    this.code = code;
    this.transactionId = transactionId;
  }
}
