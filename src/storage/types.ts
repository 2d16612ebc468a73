/**
 * Storage is two narrow interfaces (after Azurite's IExtentStore / IBlobMetadataStore):
 *
 *   BlobStore      bytes on disk under <dataDir>/blobs, named by random ids (never by key)
 *   MetadataStore  records in one SQLite database (<dataDir>/signet.db, WAL mode)
 *
 * Object keys are never file paths: a key is only ever a TEXT column.
 */
import type { Readable } from 'node:stream';
import type { Token, TokenSummary } from '../access/types.ts';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** base64 of the big-endian digest, as in x-amz-checksum-* headers */
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

export interface ObjectMetadata {
  contentType?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  cacheControl?: string;
  /** The Expires header value as sent */
  expires?: string;
  /** x-amz-meta-* with the prefix removed, names lower-case */
  userMetadata: Record<string, string>;
  storageClass?: string;
  checksum?: StoredChecksum;
}

export interface BucketRecord {
  name: string;
  /** ISO 8601 with milliseconds */
  createdAt: string;
  /** The bucket's CORS configuration as JSON (see src/http/cors.ts), or null */
  cors: string | null;
}

export interface ObjectRecord {
  bucket: string;
  key: string;
  blobId: string;
  size: number;
  /** Quoted, e.g. "\"9e107d9d372bb6826bd81d3542a419d6\"" or "\"<hex>-3\"" for multipart */
  etag: string;
  /** ISO 8601 with milliseconds */
  lastModified: string;
  metadata: ObjectMetadata;
  /** For multipart objects: the part sizes in order, so GetObject?partNumber=N can work */
  partSizes?: number[];
}

export interface ListObjectsQuery {
  prefix: string;
  delimiter: string;
  /** List keys strictly greater than this (marker / start-after / continuation), '' = from start */
  after: string;
  maxKeys: number;
}

export interface ListObjectsPage {
  objects: ObjectRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned, to continue after, when truncated */
  nextAfter?: string;
}

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: string;
  metadata: ObjectMetadata;
  /** Checksum algorithm announced at CreateMultipartUpload, if any */
  checksumAlgorithm?: ChecksumAlgorithm;
}

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  blobId: string;
  size: number;
  etag: string;
  /** hex MD5 of the part, for the multipart ETag */
  md5Hex: string;
  lastModified: string;
  checksum?: StoredChecksum;
}

export interface ListUploadsQuery {
  prefix: string;
  delimiter: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
}

export interface ListUploadsPage {
  uploads: UploadRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** When truncated: the NextKeyMarker (the last key or common prefix returned) */
  nextKeyMarker?: string;
  /** When truncated and the last entry was an upload: the NextUploadIdMarker */
  nextUploadIdMarker?: string;
}

/** The result of streaming bytes into the blob store: already durable and renamed. */
export interface WrittenBlob {
  blobId: string;
  size: number;
  /** '' when written with { md5: false } (the caller hashes the bytes itself) */
  md5Hex: string;
}

export interface WriteOptions {
  /** Compute the MD5 of the bytes (default true). An upload's verifier already does. */
  md5?: boolean;
}

/** A blob open for reading (BlobStore.openRead). */
export interface BlobReader {
  /** The bytes of the range (or the blob) */
  readonly length: number;
  /** Fills `into` with the next bytes of the range, as far as they go; 0 once it is all read. */
  read(into: Buffer): Promise<number>;
  /** Releases the descriptor. Idempotent. */
  close(): Promise<void>;
}

export interface BlobStore {
  /**
   * Writes a new blob and fsyncs it (and its directory entry) before resolving. A stream longer
   * than 64 KiB goes to a temp file under <dataDir>/tmp and is renamed into <dataDir>/blobs
   * only once `source` ended cleanly; bytes already in memory, and a stream that ends within
   * 64 KiB, are complete before their file is created in blobs/, in one write. If `source`
   * errors (a failed check upstream, an aborted client) whatever was written is removed and the
   * promise rejects with that error. No row refers to the blob before this resolves, so nothing
   * partial is ever visible; a crash mid-write leaves an unreferenced file that the sweep at
   * start removes.
   */
  write(source: Readable | Uint8Array, options?: WriteOptions): Promise<WrittenBlob>;
  /** Reads a blob, optionally a byte range (inclusive end). */
  read(blobId: string, range?: { start: number; end: number }): Readable;
  /**
   * Opens a blob for reading, optionally a byte range (inclusive end), into the caller's own
   * buffers: a large GET reuses two buffers instead of allocating one per read. Rejects (ENOENT)
   * when the blob is gone, before anything is read.
   */
  openRead(blobId: string, range?: { start: number; end: number }): Promise<BlobReader>;
  /** Reads a byte range (inclusive end) whole into memory: for small objects, cheaper than read(). */
  readBytes(blobId: string, range: { start: number; end: number }): Promise<Buffer>;
  /** Concatenates blobs (multipart complete) into a new blob, atomically as write(). */
  concat(blobIds: string[]): Promise<WrittenBlob>;
  /** Removes a blob; a missing blob is not an error. */
  remove(blobId: string): Promise<void>;
  /**
   * Removes blobs that a commit stopped referring to, once that commit is on disk (`flushed`
   * resolved), after the answer; none if the flush fails. close() waits for these.
   */
  removeOnceFlushed(flushed: Promise<void>, blobIds: Array<string | undefined>): void;
  /** Removes leftover temp files (called at start). */
  cleanTemp(): Promise<void>;
  /** Every blob id on disk (for the orphan sweep at start). */
  listBlobIds(): Promise<string[]>;
  /** Finishes the removals under way, then releases the directory descriptors kept for flushing. */
  close(): Promise<void>;
}

export interface MetadataStore {
  // buckets
  createBucket(name: string, now: Date): 'created' | 'exists';
  getBucket(name: string): BucketRecord | undefined;
  listBuckets(): BucketRecord[];
  /** 'not-empty' when objects or in-progress multipart uploads remain */
  deleteBucket(name: string): 'deleted' | 'missing' | 'not-empty';
  /** false: no such bucket (nothing stored) */
  setBucketCors(name: string, corsJson: string | null): boolean;

  // objects
  getObject(bucket: string, key: string): ObjectRecord | undefined;
  /**
   * Inserts or replaces; returns the blob id of the replaced object, to remove after, or
   * undefined (nothing stored) when the bucket does not exist.
   */
  putObject(record: ObjectRecord): { replacedBlobId?: string } | undefined;
  /** Returns the blob id of the deleted object, if there was one. */
  deleteObject(bucket: string, key: string): { blobId?: string };
  listObjects(bucket: string, query: ListObjectsQuery): ListObjectsPage;
  /** Every blob id referenced by an object or a part (for the orphan sweep at start). */
  referencedBlobIds(): Set<string>;

  // multipart
  createUpload(upload: UploadRecord): void;
  getUpload(uploadId: string): UploadRecord | undefined;
  /** Inserts or replaces a part; returns the replaced part's blob id */
  putPart(part: PartRecord): { replacedBlobId?: string };
  listParts(uploadId: string): PartRecord[];
  /** Deletes the upload and its part rows; returns their blob ids */
  deleteUpload(uploadId: string): string[];
  listUploads(bucket: string, query: ListUploadsQuery): ListUploadsPage;

  // tokens (read on every request: no cache, so a CLI revoke applies to the next request)
  insertToken(token: Token): void;
  getToken(accessKeyId: string): Token | undefined;
  /**
   * getToken and getBucket in one statement (one read of the database instead of two): a
   * request's token and the bucket it names, read together while it is verified.
   */
  getTokenAndBucket(accessKeyId: string, bucket: string): { token: Token | undefined; bucket: BucketRecord | undefined };
  listTokens(): TokenSummary[];
  /** false when no such token */
  revokeToken(accessKeyId: string, now: Date): boolean;
  /** Creates or updates the root token from the configured credentials */
  upsertRootToken(accessKeyId: string, secretAccessKey: string, now: Date): void;

  // clock offset for --clock-control (milliseconds), shared with the CLI through the database
  getClockOffsetMs(): number;
  setClockOffsetMs(ms: number): void;
  /** Small shared settings between the server and the CLI (e.g. whether the server honours the clock offset) */
  getSetting(key: string): string | undefined;
  setSetting(key: string, value: string): void;

  /** Runs fn in one SQLite transaction */
  transaction<T>(fn: () => T): T;
  /**
   * Runs fn in one SQLite transaction and commits it without flushing it on the event loop:
   * the flush starts at once on the thread pool, shared by concurrent commits (wal-sync.ts),
   * and `flushed` resolves once the commit is on disk. For the object writes on the request
   * path, which answer once committed and remove replaced blobs only once flushed (see
   * put-object.ts). The commit is visible to readers, and survives the process being killed,
   * as soon as this returns.
   */
  commitTransaction<T>(fn: () => T): Committed<T>;
  close(): void;
}

export interface Committed<T> {
  /** What the transaction's function returned */
  result: T;
  /** Resolves once the commit is on disk (rejects if the flush fails) */
  flushed: Promise<void>;
}

export interface Storage {
  dataDir: string;
  blobs: BlobStore;
  meta: MetadataStore;
  /** Closes the database at once; resolves once the blob removals under way are done. */
  close(): Promise<void>;
}
