/**
 * Buckets, objects, multipart uploads, tokens and settings in one SQLite database.
 *
 * Pragmas, and why:
 *   journal_mode = WAL    the CLI (token revoke, clock set) writes while the server reads; a
 *                         commit in one connection is visible to the next read in the other.
 *   synchronous = FULL    a 200 to a PUT promises the object survives a power cut. The blob is
 *                         already fsynced before its row is written; with NORMAL the last row
 *                         could still vanish, leaving an orphan blob and a lost acknowledged
 *                         write. One extra fsync per commit is cheap next to the blob's own.
 *   busy_timeout = 5000   the CLI and the server take turns at the write lock.
 *   foreign_keys = ON     an object cannot outlive its bucket, a part its upload.
 *
 * Tokens are read from the database on every call, never cached, so a revoke by another
 * process applies to the server's very next request.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Access, Token, TokenSummary } from '../access/types.ts';
import { compareKeys } from './key-order.ts';
import { walkListing, rollUp, type KeyRange } from './listing.ts';
import { migrate } from './migrations.ts';
import { createWalSync, type WalSync } from './wal-sync.ts';
import type {
  BucketRecord,
  ChecksumAlgorithm,
  Committed,
  ListObjectsPage,
  ListObjectsQuery,
  ListUploadsPage,
  ListUploadsQuery,
  MetadataStore,
  ObjectMetadata,
  ObjectRecord,
  PartRecord,
  StoredChecksum,
  UploadRecord,
} from './types.ts';

const CLOCK_OFFSET_SETTING = 'clock_offset_ms';
const ROOT_TOKEN_NAME = 'root';

interface BucketRow {
  name: string;
  created_at: string;
  cors: string | null;
}

interface ObjectRow {
  bucket: string;
  key: string;
  blob_id: string;
  size: number;
  etag: string;
  last_modified: string;
  metadata: string;
  part_sizes: string | null;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: string;
  metadata: string;
  checksum_algorithm: string | null;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  blob_id: string;
  size: number;
  etag: string;
  md5_hex: string;
  last_modified: string;
  checksum: string | null;
}

interface TokenRow {
  access_key_id: string;
  secret: string;
  name: string;
  access: string;
  buckets: string;
  prefix: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
  root: number;
}

type TokenAndBucketRow = { [K in keyof TokenRow]: TokenRow[K] | null } & {
  bucket_name: string | null;
  bucket_created_at: string | null;
  bucket_cors: string | null;
};

/**
 * Opens (creating it with mode 0600 when absent) and migrates the database at `dbPath`.
 * ':memory:' gives a private in-memory database (tests).
 */
export function openMetadataStore(dbPath: string): MetadataStore {
  if (dbPath !== ':memory:') createPrivateFile(dbPath);
  const db = new Database(dbPath, { timeout: 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return createMetadataStore(db, dbPath === ':memory:' ? undefined : createWalSync(`${dbPath}-wal`));
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * SQLite creates the -wal and -shm files with the database file's permissions, so making the
 * main file 0600 before SQLite opens it keeps all three private (the token secrets live here).
 */
function createPrivateFile(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

function createMetadataStore(db: Database.Database, walSync: WalSync | undefined): MetadataStore {
  const sql = prepareStatements(db);
  // Built once: db.transaction() makes a new wrapper (with four variants) on every call.
  const inTransaction = db.transaction((fn: () => unknown) => fn());

  /**
   * `fn` in a transaction of its own, or as part of the one already open (commitTransaction)
   * without better-sqlite3's SAVEPOINT and RELEASE around it: two statements per upload fewer.
   * Nothing here catches an error inside a commitTransaction and goes on, so a failure rolls
   * back the whole transaction either way. A failed statement (a foreign key, see putObject)
   * undoes only itself and leaves the transaction open, with or without the savepoint.
   */
  function transactional<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const alone = db.transaction(fn);
    return (...args) => (db.inTransaction ? fn(...args) : alone(...args));
  }

  /**
   * See wal-sync.ts and MetadataStore.commitTransaction: the commit's flush starts at once, on
   * the thread pool, shared with concurrent commits; the caller decides what waits for it.
   */
  function commitTransaction<T>(fn: () => T): Committed<T> {
    if (!walSync) return { result: inTransaction(fn) as T, flushed: Promise.resolve() };
    // exec, not a prepared statement: a prepared PRAGMA synchronous does not reliably apply
    // when run (SQLite acts on some pragmas as they are compiled).
    db.exec('PRAGMA synchronous = NORMAL');
    let result: T;
    try {
      result = inTransaction(fn) as T;
    } finally {
      db.exec('PRAGMA synchronous = FULL');
    }
    const flushed = walSync.sync();
    // The answer has gone out: a failed flush (EIO, disk full) must at least reach the
    // operator. What waited for it (removing replaced blobs) does not happen.
    flushed.catch((error: Error) => {
      process.stderr.write(`signet: flushing the database's write-ahead log failed: ${error.message}\n`);
    });
    return { result, flushed };
  }

  function listObjects(bucket: string, query: ListObjectsQuery): ListObjectsPage {
    // S3 answers max-keys=0 with an empty page and IsTruncated false, even when keys exist
    // (what AWS returns; other emulators were fixed to match, e.g. fakecloud#2003, versitygw#248).
    if (query.maxKeys <= 0) return { objects: [], commonPrefixes: [], isTruncated: false };
    const walk = walkListing<ObjectRow>({
      prefix: query.prefix,
      delimiter: query.delimiter,
      after: query.after,
      limit: query.maxKeys,
      keyOf: (row) => row.key,
      seek: (range) => seekRows(sql.objectRange, bucket, range),
    });
    const page: ListObjectsPage = { objects: [], commonPrefixes: [], isTruncated: walk.isTruncated };
    for (const entry of walk.entries) {
      if (entry.type === 'row') page.objects.push(toObjectRecord(entry.row));
      else page.commonPrefixes.push(entry.prefix);
    }
    const last = walk.entries[walk.entries.length - 1];
    if (walk.isTruncated && last) page.nextAfter = last.type === 'row' ? last.row.key : last.prefix;
    return page;
  }

  function listUploads(bucket: string, query: ListUploadsQuery): ListUploadsPage {
    if (query.maxUploads <= 0) return { uploads: [], commonPrefixes: [], isTruncated: false };
    const leading = uploadsAfterIdMarker(bucket, query);
    const remaining = query.maxUploads - leading.length;
    const walk =
      remaining < 0
        ? { entries: [], isTruncated: true }
        : walkListing<UploadRow>({
            prefix: query.prefix,
            delimiter: query.delimiter,
            after: query.keyMarker,
            limit: remaining,
            keyOf: (row) => row.key,
            seek: (range) => seekRows(sql.uploadRange, bucket, range),
          });
    const uploads = leading.slice(0, query.maxUploads).map(toUploadRecord);
    const commonPrefixes: string[] = [];
    for (const entry of walk.entries) {
      if (entry.type === 'row') uploads.push(toUploadRecord(entry.row));
      else commonPrefixes.push(entry.prefix);
    }
    const page: ListUploadsPage = { uploads, commonPrefixes, isTruncated: walk.isTruncated };
    if (page.isTruncated) {
      const last = walk.entries[walk.entries.length - 1];
      if (last?.type === 'prefix') {
        page.nextKeyMarker = last.prefix;
      } else {
        const lastUpload = uploads[uploads.length - 1];
        page.nextKeyMarker = lastUpload.key;
        page.nextUploadIdMarker = lastUpload.uploadId;
      }
    }
    return page;
  }

  /**
   * With both markers, uploads of the marker key itself come first when they sort after the
   * marker upload (S3 sorts one key's uploads by initiation time). An unknown upload id falls
   * back to comparing ids, as S3 documents ("upload ID lexicographically greater").
   */
  function uploadsAfterIdMarker(bucket: string, query: ListUploadsQuery): UploadRow[] {
    const { keyMarker, uploadIdMarker, prefix, delimiter } = query;
    if (!keyMarker || !uploadIdMarker || !keyMarker.startsWith(prefix)) return [];
    if (delimiter && rollUp(keyMarker, prefix, delimiter) !== undefined) return [];
    const rows = sql.uploadsOfKey.all(bucket, keyMarker) as UploadRow[];
    const at = rows.findIndex((row) => row.upload_id === uploadIdMarker);
    return at >= 0 ? rows.slice(at + 1) : rows.filter((row) => compareKeys(row.upload_id, uploadIdMarker) > 0);
  }

  const putObject = transactional((record: ObjectRecord) => {
    const previous = sql.objectBlob.get(record.bucket, record.key) as { blob_id: string } | undefined;
    sql.upsertObject.run(
      record.bucket,
      record.key,
      record.blobId,
      record.size,
      record.etag,
      record.lastModified,
      JSON.stringify(record.metadata),
      record.partSizes ? JSON.stringify(record.partSizes) : null,
    );
    return { replacedBlobId: previous && previous.blob_id !== record.blobId ? previous.blob_id : undefined };
  });

  const deleteObject = transactional((bucket: string, key: string) => {
    const previous = sql.objectBlob.get(bucket, key) as { blob_id: string } | undefined;
    if (previous) sql.deleteObject.run(bucket, key);
    return { blobId: previous?.blob_id };
  });

  const deleteBucket = db.transaction((name: string): 'deleted' | 'missing' | 'not-empty' => {
    if (!sql.getBucket.get(name)) return 'missing';
    if (sql.anyObject.get(name) || sql.anyUpload.get(name)) return 'not-empty';
    sql.deleteBucket.run(name);
    return 'deleted';
  });

  const putPart = transactional((part: PartRecord) => {
    const previous = sql.partBlob.get(part.uploadId, part.partNumber) as { blob_id: string } | undefined;
    sql.upsertPart.run(
      part.uploadId,
      part.partNumber,
      part.blobId,
      part.size,
      part.etag,
      part.md5Hex,
      part.lastModified,
      part.checksum ? JSON.stringify(part.checksum) : null,
    );
    return { replacedBlobId: previous && previous.blob_id !== part.blobId ? previous.blob_id : undefined };
  });

  const deleteUpload = transactional((uploadId: string) => {
    const blobIds = (sql.partBlobs.all(uploadId) as { blob_id: string }[]).map((row) => row.blob_id);
    sql.deleteParts.run(uploadId);
    sql.deleteUpload.run(uploadId);
    return blobIds;
  });

  const upsertRootToken = db.transaction((accessKeyId: string, secretAccessKey: string, now: Date) => {
    // A changed SIGNET_ROOT_ACCESS_KEY_ID must retire the old root credentials entirely.
    sql.deleteOtherRoots.run(accessKeyId);
    sql.upsertRoot.run(accessKeyId, secretAccessKey, ROOT_TOKEN_NAME, now.toISOString());
  });

  return {
    createBucket: (name, now) => (sql.insertBucket.run(name, now.toISOString()).changes ? 'created' : 'exists'),
    getBucket: (name) => toBucketRecord(sql.getBucket.get(name) as BucketRow | undefined),
    listBuckets: () => (sql.listBuckets.all() as BucketRow[]).map((row) => toBucketRecord(row)!),
    deleteBucket: (name) => deleteBucket(name),
    setBucketCors: (name, corsJson) => sql.setBucketCors.run(corsJson, name).changes > 0,

    getObject: (bucket, key) => {
      const row = sql.getObject.get(bucket, key) as ObjectRow | undefined;
      return row && toObjectRecord(row);
    },
    putObject: (record) => {
      try {
        return putObject(record);
      } catch (error) {
        // The row's bucket is gone: objects.bucket references buckets(name), so the foreign key
        // answers what reading the bucket first would, without a read on every upload.
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return undefined;
        throw error;
      }
    },
    deleteObject: (bucket, key) => deleteObject(bucket, key),
    listObjects,
    referencedBlobIds: () => new Set((sql.referencedBlobs.all() as { blob_id: string }[]).map((row) => row.blob_id)),

    createUpload: (upload) =>
      void sql.insertUpload.run(
        upload.uploadId,
        upload.bucket,
        upload.key,
        upload.initiated,
        JSON.stringify(upload.metadata),
        upload.checksumAlgorithm ?? null,
      ),
    getUpload: (uploadId) => {
      const row = sql.getUpload.get(uploadId) as UploadRow | undefined;
      return row && toUploadRecord(row);
    },
    putPart: (part) => putPart(part),
    listParts: (uploadId) => (sql.listParts.all(uploadId) as PartRow[]).map(toPartRecord),
    deleteUpload: (uploadId) => deleteUpload(uploadId),
    listUploads,

    insertToken: (token) =>
      void sql.insertToken.run(
        token.accessKeyId,
        token.secretAccessKey,
        token.name,
        token.access,
        JSON.stringify(token.buckets),
        token.prefix,
        token.expiresAt,
        token.revokedAt,
        token.createdAt,
        token.root ? 1 : 0,
      ),
    getToken: (accessKeyId) => {
      const row = sql.getToken.get(accessKeyId) as TokenRow | undefined;
      return row && toToken(row);
    },
    getTokenAndBucket: (accessKeyId, bucket) => {
      const row = sql.getTokenAndBucket.get(accessKeyId, bucket) as TokenAndBucketRow;
      return {
        token: row.access_key_id === null ? undefined : toToken(row as TokenRow),
        bucket: row.bucket_name === null ? undefined : { name: row.bucket_name, createdAt: row.bucket_created_at!, cors: row.bucket_cors },
      };
    },
    listTokens: () =>
      (sql.listTokens.all() as TokenRow[]).map((row): TokenSummary => {
        const { secretAccessKey: _secret, ...summary } = toToken(row);
        return summary;
      }),
    revokeToken: (accessKeyId, now) => sql.revokeToken.run(now.toISOString(), accessKeyId).changes > 0,
    upsertRootToken: (accessKeyId, secretAccessKey, now) => upsertRootToken(accessKeyId, secretAccessKey, now),

    getClockOffsetMs: () => {
      const row = sql.getSetting.get(CLOCK_OFFSET_SETTING) as { value: string } | undefined;
      const ms = row ? Number(row.value) : 0;
      return Number.isFinite(ms) ? ms : 0;
    },
    setClockOffsetMs: (ms) => {
      if (!Number.isFinite(ms)) throw new RangeError(`clock offset must be a finite number of milliseconds, got ${ms}`);
      sql.putSetting.run(CLOCK_OFFSET_SETTING, String(Math.trunc(ms)));
    },
    getSetting: (key) => (sql.getSetting.get(key) as { value: string } | undefined)?.value,
    setSetting: (key, value) => {
      sql.putSetting.run(key, value);
    },

    transaction: (fn) => inTransaction(fn) as ReturnType<typeof fn>,
    commitTransaction,
    close: () => {
      void walSync?.close();
      db.close();
    },
  };
}

function prepareStatements(db: Database.Database) {
  return {
    insertBucket: db.prepare('INSERT INTO buckets (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
    getBucket: db.prepare('SELECT name, created_at, cors FROM buckets WHERE name = ?'),
    listBuckets: db.prepare('SELECT name, created_at, cors FROM buckets ORDER BY name'),
    deleteBucket: db.prepare('DELETE FROM buckets WHERE name = ?'),
    setBucketCors: db.prepare('UPDATE buckets SET cors = ? WHERE name = ?'),
    anyObject: db.prepare('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1'),
    anyUpload: db.prepare('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1'),

    getObject: db.prepare('SELECT * FROM objects WHERE bucket = ? AND key = ?'),
    objectBlob: db.prepare('SELECT blob_id FROM objects WHERE bucket = ? AND key = ?'),
    upsertObject: db.prepare(`
      INSERT INTO objects (bucket, key, blob_id, size, etag, last_modified, metadata, part_sizes)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (bucket, key) DO UPDATE SET
        blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag,
        last_modified = excluded.last_modified, metadata = excluded.metadata, part_sizes = excluded.part_sizes`),
    deleteObject: db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?'),
    objectRange: rangeStatements(db, 'SELECT * FROM objects WHERE bucket = ?', 'ORDER BY key'),
    referencedBlobs: db.prepare('SELECT blob_id FROM objects UNION SELECT blob_id FROM parts'),

    insertUpload: db.prepare(
      'INSERT INTO uploads (upload_id, bucket, key, initiated, metadata, checksum_algorithm) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    getUpload: db.prepare('SELECT * FROM uploads WHERE upload_id = ?'),
    uploadsOfKey: db.prepare('SELECT * FROM uploads WHERE bucket = ? AND key = ? ORDER BY initiated, upload_id'),
    uploadRange: rangeStatements(db, 'SELECT * FROM uploads WHERE bucket = ?', 'ORDER BY key, initiated, upload_id'),
    deleteUpload: db.prepare('DELETE FROM uploads WHERE upload_id = ?'),
    partBlob: db.prepare('SELECT blob_id FROM parts WHERE upload_id = ? AND part_number = ?'),
    partBlobs: db.prepare('SELECT blob_id FROM parts WHERE upload_id = ? ORDER BY part_number'),
    upsertPart: db.prepare(`
      INSERT INTO parts (upload_id, part_number, blob_id, size, etag, md5_hex, last_modified, checksum)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (upload_id, part_number) DO UPDATE SET
        blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag, md5_hex = excluded.md5_hex,
        last_modified = excluded.last_modified, checksum = excluded.checksum`),
    listParts: db.prepare('SELECT * FROM parts WHERE upload_id = ? ORDER BY part_number'),
    deleteParts: db.prepare('DELETE FROM parts WHERE upload_id = ?'),

    insertToken: db.prepare(`
      INSERT INTO tokens (access_key_id, secret, name, access, buckets, prefix, expires_at, revoked_at, created_at, root)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    getToken: db.prepare('SELECT * FROM tokens WHERE access_key_id = ?'),
    // One row always: the token's columns (all NULL when there is none), then the bucket's.
    getTokenAndBucket: db.prepare(`
      SELECT t.*, b.name AS bucket_name, b.created_at AS bucket_created_at, b.cors AS bucket_cors
      FROM (SELECT ? AS access_key_id, ? AS bucket) AS q
      LEFT JOIN tokens AS t ON t.access_key_id = q.access_key_id
      LEFT JOIN buckets AS b ON b.name = q.bucket`),
    listTokens: db.prepare('SELECT * FROM tokens ORDER BY created_at, access_key_id'),
    revokeToken: db.prepare('UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE access_key_id = ?'),
    deleteOtherRoots: db.prepare('DELETE FROM tokens WHERE root = 1 AND access_key_id <> ?'),
    // Keeps created_at and revoked_at: restarting the server must not silently revive a
    // root token that an operator revoked.
    upsertRoot: db.prepare(`
      INSERT INTO tokens (access_key_id, secret, name, access, buckets, prefix, expires_at, revoked_at, created_at, root)
      VALUES (?, ?, ?, 'read-write', '[]', NULL, NULL, NULL, ?, 1)
      ON CONFLICT (access_key_id) DO UPDATE SET
        secret = excluded.secret, name = excluded.name, access = 'read-write', buckets = '[]',
        prefix = NULL, expires_at = NULL, root = 1`),

    getSetting: db.prepare('SELECT value FROM settings WHERE key = ?'),
    putSetting: db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };
}

type RangeStatements = Record<'gt' | 'ge' | 'gtLt' | 'geLt', Database.Statement>;

/**
 * One statement per range shape, each a single index range scan on (bucket, key). Lazily
 * stepped: the listing walk reads only the rows it lists, plus one.
 */
function rangeStatements(db: Database.Database, select: string, orderBy: string): RangeStatements {
  return {
    gt: db.prepare(`${select} AND key > ? ${orderBy}`),
    ge: db.prepare(`${select} AND key >= ? ${orderBy}`),
    gtLt: db.prepare(`${select} AND key > ? AND key < ? ${orderBy}`),
    geLt: db.prepare(`${select} AND key >= ? AND key < ? ${orderBy}`),
  };
}

function seekRows<Row>(statements: RangeStatements, bucket: string, range: KeyRange): Iterable<Row> {
  if (range.before === undefined) {
    return (range.inclusive ? statements.ge : statements.gt).iterate(bucket, range.from) as Iterable<Row>;
  }
  return (range.inclusive ? statements.geLt : statements.gtLt).iterate(bucket, range.from, range.before) as Iterable<Row>;
}

function toBucketRecord(row: BucketRow | undefined): BucketRecord | undefined {
  return row && { name: row.name, createdAt: row.created_at, cors: row.cors };
}

function toObjectRecord(row: ObjectRow): ObjectRecord {
  const record: ObjectRecord = {
    bucket: row.bucket,
    key: row.key,
    blobId: row.blob_id,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    metadata: JSON.parse(row.metadata) as ObjectMetadata,
  };
  if (row.part_sizes !== null) record.partSizes = JSON.parse(row.part_sizes) as number[];
  return record;
}

function toUploadRecord(row: UploadRow): UploadRecord {
  const record: UploadRecord = {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiated: row.initiated,
    metadata: JSON.parse(row.metadata) as ObjectMetadata,
  };
  if (row.checksum_algorithm !== null) record.checksumAlgorithm = row.checksum_algorithm as ChecksumAlgorithm;
  return record;
}

function toPartRecord(row: PartRow): PartRecord {
  const record: PartRecord = {
    uploadId: row.upload_id,
    partNumber: row.part_number,
    blobId: row.blob_id,
    size: row.size,
    etag: row.etag,
    md5Hex: row.md5_hex,
    lastModified: row.last_modified,
  };
  if (row.checksum !== null) record.checksum = JSON.parse(row.checksum) as StoredChecksum;
  return record;
}

function toToken(row: TokenRow): Token {
  return {
    accessKeyId: row.access_key_id,
    secretAccessKey: row.secret,
    name: row.name,
    access: row.access as Access,
    buckets: JSON.parse(row.buckets) as string[],
    prefix: row.prefix,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
    root: row.root === 1,
  };
}
