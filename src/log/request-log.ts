/**
 * The request log: one row per answered S3 request in the data directory's SQLite database
 * (table request_log, src/storage/migrations.ts), read by `GET /_signet/requests`, the web
 * inspector and `signet log`.
 *
 * The hot path never waits for SQLite: record() only redacts and buffers. The buffer is written
 * in one transaction every FLUSH_INTERVAL_MS, or at once when it holds FLUSH_ROWS rows, and on
 * close. The log keeps the newest MAX_ROWS rows; older ones are deleted every PRUNE_EVERY
 * inserts, not on each one.
 *
 * The log has its own connection with synchronous = NORMAL: a log row lost to a power cut is
 * acceptable, an extra fsync per batch is not worth it (the objects' connection keeps FULL).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { VerificationStep } from '../auth/types.ts';
import type { RequestRecord } from '../http/s3-handler.ts';
import { DATABASE_FILE } from '../storage/open-storage.ts';
import type { Storage } from '../storage/types.ts';
import { migrate } from '../storage/migrations.ts';
import { redactSteps, redactText } from './redact.ts';

export const MAX_ROWS = 10_000;
export const FLUSH_INTERVAL_MS = 100;
export const FLUSH_ROWS = 200;
export const PRUNE_EVERY = 500;
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = MAX_ROWS;

/** One logged request, as `GET /_signet/requests` and `signet log --json` print it. */
export interface LoggedRequest {
  /** Increases with every row: `signet log --follow` reads the rows after the last id it saw */
  id: number;
  requestId: string;
  time: string;
  method: string;
  /** Path only, never the query */
  path: string;
  bucket: string | null;
  key: string | null;
  authKind: string | null;
  accessKeyId: string | null;
  operation: string | null;
  status: number;
  errorCode: string | null;
  /** The verifier's steps (refusals), signatures redacted; null when none were recorded */
  steps: VerificationStep[] | null;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
}

export interface RequestLogQuery {
  /** Newest first, at most this many (default 100, at most 10,000) */
  limit?: number;
  /** An exact status (403) or a class (4xx) */
  status?: StatusFilter;
  bucket?: string;
  /** Only rows with a greater id (oldest first when set: for following) */
  afterId?: number;
  /** One row by its x-amz-request-id */
  requestId?: string;
}

export type StatusFilter = { exact: number } | { from: number; to: number };

/** '403' -> exact, '4xx' -> 400..499; undefined when the text is neither. */
export function parseStatusFilter(text: string): StatusFilter | undefined {
  if (/^[1-5]\d\d$/.test(text)) return { exact: Number(text) };
  const m = /^([1-5])xx$/i.exec(text);
  if (m) return { from: Number(m[1]) * 100, to: Number(m[1]) * 100 + 99 };
  return undefined;
}

/**
 * Which records are logged: S3 requests (and browser POST uploads). signet's own endpoints
 * (/_signet/health, the inspector and its polling, /_signet/requests) are not: they would
 * drown the application's traffic. A virtual-hosted request for the key "_signet/…" names a
 * bucket and is logged.
 */
export function isLoggedRequest(record: Pick<RequestRecord, 'path' | 'bucket'>): boolean {
  const own = record.path === '/_signet' || record.path.startsWith('/_signet/');
  return !own || record.bucket !== undefined;
}

export interface RequestLog {
  /** Buffers one record (redacted now); never blocks on SQLite. */
  record(entry: RequestRecord): void;
  /** Writes buffered rows now. */
  flush(): void;
  /** Flushes buffered rows, then reads. */
  query(q?: RequestLogQuery): LoggedRequest[];
  /** Flushes and closes the connection. */
  close(): void;
}

interface Row {
  id: number;
  time: string;
  request_id: string;
  method: string;
  path: string;
  bucket: string | null;
  key: string | null;
  auth_kind: string | null;
  access_key_id: string | null;
  operation: string | null;
  status: number;
  error_code: string | null;
  steps: string | null;
  duration_ms: number;
  bytes_in: number;
  bytes_out: number;
}

type InsertParams = Omit<Row, 'id'>;

function toParams(entry: RequestRecord): InsertParams {
  const steps = entry.steps && entry.steps.length > 0 ? JSON.stringify(redactSteps(entry.steps)) : null;
  return {
    time: entry.time,
    request_id: entry.requestId,
    method: entry.method,
    // The app already records the path without its query; cut again so no caller can slip one in.
    path: redactText(entry.path.split('?')[0]!),
    bucket: entry.bucket ?? null,
    key: entry.key ?? null,
    auth_kind: entry.authKind ?? null,
    access_key_id: entry.accessKeyId ?? null,
    operation: entry.operation ?? null,
    status: entry.status,
    error_code: entry.errorCode ?? null,
    steps,
    duration_ms: entry.durationMs,
    bytes_in: entry.bytesIn,
    bytes_out: entry.bytesOut,
  };
}

function fromRow(row: Row): LoggedRequest {
  return {
    id: row.id,
    requestId: row.request_id,
    time: row.time,
    method: row.method,
    path: row.path,
    bucket: row.bucket,
    key: row.key,
    authKind: row.auth_kind,
    accessKeyId: row.access_key_id,
    operation: row.operation,
    status: row.status,
    errorCode: row.error_code,
    steps: row.steps === null ? null : (JSON.parse(row.steps) as VerificationStep[]),
    durationMs: row.duration_ms,
    bytesIn: row.bytes_in,
    bytesOut: row.bytes_out,
  };
}

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE);
}

/**
 * A connection to an existing signet database, migrated (the request_log table may be newer
 * than the server that created the file). Never creates the file: the server's storage does,
 * with its private mode.
 */
export function openLogDatabase(dbPath: string): Database.Database {
  const db = new Database(dbPath, { timeout: 5000, fileMustExist: true });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export interface RequestLogReader {
  query(q?: RequestLogQuery): LoggedRequest[];
}

/** Reads the log through `db` (the CLI's own connection, or the writer's). */
export function createRequestLogReader(db: Database.Database): RequestLogReader {
  return {
    query(q = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.status && 'exact' in q.status) {
        where.push('status = ?');
        params.push(q.status.exact);
      } else if (q.status) {
        where.push('status BETWEEN ? AND ?');
        params.push(q.status.from, q.status.to);
      }
      if (q.bucket !== undefined) {
        where.push('bucket = ?');
        params.push(q.bucket);
      }
      if (q.requestId !== undefined) {
        where.push('request_id = ?');
        params.push(q.requestId);
      }
      if (q.afterId !== undefined) {
        where.push('id > ?');
        params.push(q.afterId);
      }
      const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
      const order = q.afterId !== undefined ? 'ASC' : 'DESC';
      const sql = `SELECT * FROM request_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order} LIMIT ${limit}`;
      return (db.prepare(sql).all(...params) as Row[]).map(fromRow);
    },
  };
}

export interface RequestLogOptions {
  maxRows?: number;
  flushIntervalMs?: number;
  flushRows?: number;
  pruneEvery?: number;
}

/** Opens the writer on a data directory whose storage is already open (so migrated). */
export function openRequestLog(dataDir: string, options: RequestLogOptions = {}): RequestLog {
  return createRequestLog(openLogDatabase(databasePath(dataDir)), options);
}

export function createRequestLog(db: Database.Database, options: RequestLogOptions = {}): RequestLog {
  const maxRows = options.maxRows ?? MAX_ROWS;
  const flushIntervalMs = options.flushIntervalMs ?? FLUSH_INTERVAL_MS;
  const flushRows = options.flushRows ?? FLUSH_ROWS;
  const pruneEvery = options.pruneEvery ?? PRUNE_EVERY;

  const insert = db.prepare(`
    INSERT INTO request_log (time, request_id, method, path, bucket, key, auth_kind, access_key_id, operation,
                             status, error_code, steps, duration_ms, bytes_in, bytes_out)
    VALUES (@time, @request_id, @method, @path, @bucket, @key, @auth_kind, @access_key_id, @operation,
            @status, @error_code, @steps, @duration_ms, @bytes_in, @bytes_out)`);
  // Keeps the newest maxRows: ids only grow (AUTOINCREMENT), so "older" is "smaller id".
  const prune = db.prepare('DELETE FROM request_log WHERE id <= (SELECT max(id) FROM request_log) - ?');
  const reader = createRequestLogReader(db);

  let buffer: InsertParams[] = [];
  let timer: NodeJS.Timeout | undefined;
  let sincePrune = pruneEvery; // prune once at the first flush: a restart may follow a bigger log
  let closed = false;

  const writeBatch = db.transaction((rows: InsertParams[]) => {
    for (const row of rows) insert.run(row);
    sincePrune += rows.length;
    if (sincePrune >= pruneEvery) {
      prune.run(maxRows);
      sincePrune = 0;
    }
  });

  function flush(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (buffer.length === 0 || closed) return;
    const rows = buffer;
    buffer = [];
    try {
      writeBatch(rows);
    } catch (error) {
      // The log is a diagnosis aid: a failed write (disk full, database locked for 5 s)
      // must not take the S3 server down with it.
      process.stderr.write(`signet: could not write ${rows.length} request log row(s): ${(error as Error).message}\n`);
    }
  }

  return {
    record(entry) {
      if (closed || !isLoggedRequest(entry)) return;
      buffer.push(toParams(entry));
      if (buffer.length >= flushRows) flush();
      else if (!timer) {
        timer = setTimeout(flush, flushIntervalMs);
        timer.unref();
      }
    },
    flush,
    query(q) {
      flush();
      return reader.query(q);
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      db.close();
    },
  };
}

const attached = new WeakMap<Storage, RequestLog>();

/**
 * Lets the inspector (which receives only the app's dependencies) find the server's log.
 * A storage without one (createApp in tests) has no request log.
 */
export function attachRequestLog(storage: Storage, log: RequestLog): void {
  attached.set(storage, log);
}

export function requestLogOf(storage: Storage): RequestLog | undefined {
  return attached.get(storage);
}

/** Whether the data directory has a database yet (the CLI refuses to create one). */
export function hasDatabase(dataDir: string): boolean {
  return existsSync(databasePath(dataDir));
}
