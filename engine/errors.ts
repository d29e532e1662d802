/**
 * Typed errors that callers of ccbt catch. Shapes follow STYLE.md: `TypeError` for wrong shapes, `RangeError`
 * for out-of-range values, `SyntaxError` subclasses with an `offset` for unparseable bytes, and domain errors
 * only where a caller catches them.
 *
 * @module
 */

/** Bytes that are not valid bencode (BEP 3), or that exceed a hostile-input cap (DESIGN.md section 8). */
export class BencodeError extends SyntaxError {
  /** Byte offset in the input where decoding failed. */
  readonly offset: number;
  /**
   * Makes a bencode error at a byte offset.
   * @param message What is wrong, e.g. "Cannot decode bencode at offset 12: unexpected byte 0x7a".
   * @param offset Byte offset in the input where decoding failed.
   */
  constructor(message: string, offset: number) {
    super(message);
    this.name = "BencodeError";
    this.offset = offset;
  }
}

/** A .torrent file (or its `info` dictionary) that is valid bencode but not valid metainfo (BEP 3). */
export class MetainfoError extends SyntaxError {
  /**
   * Makes a metainfo error.
   * @param message What is wrong, e.g. "Cannot parse torrent: pieces is 119 bytes, not a multiple of 20".
   * @param options `cause`: the underlying error (a `BencodeError` for undecodable bytes).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MetainfoError";
  }
}

/** A peer broke the peer wire protocol (BEP 3); the connection to that peer is dropped. */
export class PeerProtocolError extends Error {
  /** Short machine-readable reason, e.g. `packet_too_large`, `invalid_have`, `invalid_piece`. */
  readonly code: string;
  /**
   * Makes a peer protocol error.
   * @param code Short machine-readable reason (see {@linkcode PeerProtocolError.code}).
   * @param message What the peer did.
   * @param options `cause`, when another error led to this one.
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PeerProtocolError";
    this.code = code;
  }
}

/** A tracker could not be reached, answered garbage, or answered with a `failure reason` (BEP 3, BEP 15). */
export class TrackerError extends Error {
  /** The announce URL of the tracker. */
  readonly url: string;
  /**
   * Makes a tracker error for one announce URL.
   * @param url The tracker's announce URL.
   * @param message What went wrong, e.g. "Cannot announce: tracker said: torrent not found".
   * @param options `cause`: the network error or abort reason.
   */
  constructor(url: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TrackerError";
    this.url = url;
  }
}

/** A disk operation failed: the file, the operation and the cause (ENOSPC, EACCES, ...) are named. */
export class StorageError extends Error {
  /** The operation that failed: `open`, `read`, `write`, `truncate`, `sync`, `stat`, `mkdir`. */
  readonly op: string;
  /** Absolute path of the file involved. */
  readonly path: string;
  /** Errno-style code when known (`ENOSPC`, `EACCES`, `EROFS`, `ENOENT`), else `""`. */
  readonly code: string;
  /**
   * Makes a storage error naming the file and the operation.
   * @param op The operation that failed.
   * @param path Absolute path of the file.
   * @param code Errno-style code, or `""`.
   * @param message E.g. "Cannot write /x/y: ENOSPC (no space left on device)".
   * @param options `cause`: the original error.
   */
  constructor(op: string, path: string, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
    this.op = op;
    this.path = path;
    this.code = code;
  }
}
