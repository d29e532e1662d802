/**
 * One HTTP GET to a tracker with the hostile-input guards of HOSTILE_INPUTS.md cases 28, 29 and 32: the body is
 * streamed and abandoned past a byte cap measured after decompression, and redirects are followed by hand (at
 * most 3, never somewhere more local).
 *
 * @module
 */

import { TrackerError } from "../errors.ts";
import { type HostResolver, refuseRedirect } from "./_redirect.ts";

/** Options of {@link fetchTracker}. */
export interface FetchTrackerOptions {
  /** Aborts the request and the body read. */
  signal?: AbortSignal;
  /** Largest decoded body accepted, in bytes. */
  maxBytes: number;
  /** Redirects followed before giving up. */
  maxRedirects: number;
  /** `User-Agent` header value. */
  userAgent: string;
  /** Name lookup for the redirect rule (tests inject one). */
  resolve?: HostResolver;
}

/** A finished tracker GET: the final status and the decoded body. */
export interface TrackerHttpReply {
  status: number;
  body: Uint8Array;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GETs `url` (the full announce URL) and reads the whole body.
 * @param trackerUrl The tracker's announce URL, named in errors.
 * @throws {TrackerError} On a refused or excess redirect, a body over `maxBytes`, or a malformed response.
 *   Network errors and aborts are passed through for the caller to word.
 */
export async function fetchTracker(
  trackerUrl: string,
  url: string,
  options: FetchTrackerOptions,
): Promise<TrackerHttpReply> {
  let current = new URL(url);
  for (let redirects = 0;; redirects++) {
    const response = await fetch(current, {
      redirect: "manual",
      signal: options.signal,
      headers: { "user-agent": options.userAgent, "accept-encoding": "gzip" },
    });
    if (!REDIRECTS.has(response.status)) {
      return { status: response.status, body: await readCapped(trackerUrl, response, options.maxBytes) };
    }
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (location === null) {
      throw new TrackerError(
        trackerUrl,
        `Cannot announce: HTTP ${response.status} redirect without a location`,
      );
    }
    if (redirects >= options.maxRedirects) {
      throw new TrackerError(trackerUrl, `Cannot announce: more than ${options.maxRedirects} redirects`);
    }
    let next: URL;
    try {
      next = new URL(location, current);
    } catch (cause) {
      throw new TrackerError(trackerUrl, "Cannot announce: redirect location is not a URL", { cause });
    }
    const refusal = await refuseRedirect(current, next, { resolve: options.resolve });
    if (refusal !== undefined) throw new TrackerError(trackerUrl, `Cannot announce: ${refusal}`);
    current = next;
  }
}

/** Reads the (already decompressed) body, cancelling the stream as soon as it passes `maxBytes`. */
async function readCapped(trackerUrl: string, response: Response, maxBytes: number): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new TrackerError(
          trackerUrl,
          `Cannot announce: tracker response is larger than ${maxBytes} bytes`,
        );
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}
