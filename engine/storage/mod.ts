/**
 * Storage: piece-to-file layout, hashing backends, piece I/O and the `DiskIo` implementations (the worker
 * pool, the inline one for tests, and the fault injector).
 *
 * @module
 */

export type {
  DiskIo,
  HashBackend,
  PieceHashes,
  PieceHashRequest,
  PieceVerdict,
  StorageFile,
  StorageSpec,
  WriteResult,
} from "./disk_io.ts";
export { FileLayout, type FileSpan } from "./file_layout.ts";
export { createHasher, type Hasher } from "./hasher.ts";
export { FileHandleCache, type FileHandleCacheOptions } from "./file_handle_cache.ts";
export { PieceStore, type PieceStoreOptions, type WriteOutcome } from "./piece_store.ts";
export { type V2Check, V2PieceHashes } from "./v2_piece_hashes.ts";
export { applyFileAttributes } from "./apply_file_attributes.ts";
export { storageSpecOf } from "./storage_spec_of.ts";
export { WorkerDiskIo, type WorkerDiskIoOptions } from "./worker_disk_io.ts";
export { InlineDiskIo, type InlineDiskIoOptions } from "./inline_disk_io.ts";
export { type DiskFaults, FaultyDiskIo } from "./faulty_disk_io.ts";
export {
  type DhtState,
  type FileStamp,
  MAX_SAVED_DHT_NODES,
  type OpenedStateStore,
  type ProgressUpdate,
  type SavedDhtNode,
  STATE_DB_NAME,
  STATE_SCHEMA_VERSION,
  StateStore,
  type TorrentRecord,
} from "./state_store.ts";
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointJson,
  exportCheckpoint,
  importCheckpoint,
} from "./checkpoint_json.ts";
