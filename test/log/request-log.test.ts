import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/http/app.ts';
import { formatLogLine } from '../../src/log/format.ts';
import {
  createRequestLog,
  createRequestLogReader,
  databasePath,
  isLoggedRequest,
  openLogDatabase,
  parseStatusFilter,
  type RequestLogOptions,
} from '../../src/log/request-log.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import { useTempDirs } from '../storage/temp-dir.ts';

const tempDir = useTempDirs();
const HEX = 'f'.repeat(64);

let seq = 0;
function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  seq++;
  return {
    requestId: `REQ${String(seq).padStart(6, '0')}`,
    time: new Date(Date.UTC(2030, 0, 1, 0, 0, seq)).toISOString(),
    method: 'GET',
    path: '/photos/cat.png',
    bucket: 'photos',
    key: 'cat.png',
    authKind: 'sigv4-query',
    accessKeyId: 'AKID',
    operation: 'GetObject',
    status: 200,
    durationMs: 1.5,
    bytesIn: 120,
    bytesOut: 4096,
    ...overrides,
  };
}

/** A data directory with a migrated database, the log writer, and a second connection to look with. */
async function setup(options: RequestLogOptions = {}) {
  const dir = await tempDir();
  const storage = await openStorage(dir);
  const log = createRequestLog(openLogDatabase(databasePath(dir)), options);
  const other = new Database(databasePath(dir), { readonly: true });
  const count = () => (other.prepare('SELECT count(*) AS n FROM request_log').get() as { n: number }).n;
  return {
    dir,
    log,
    other,
    count,
    close() {
      log.close();
      other.close();
      storage.close();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('request log writer', () => {
  it('record() only buffers; the rows are written together after the flush interval', async () => {
    const t = await setup({ flushIntervalMs: 30 });
    t.log.record(record());
    t.log.record(record());
    expect(t.count()).toBe(0);
    await sleep(150);
    expect(t.count()).toBe(2);
    t.close();
  });

  it('a full buffer is written at once, without waiting for the timer', async () => {
    const t = await setup({ flushIntervalMs: 60_000, flushRows: 5 });
    for (let i = 0; i < 4; i++) t.log.record(record());
    expect(t.count()).toBe(0);
    t.log.record(record());
    expect(t.count()).toBe(5);
    t.close();
  });

  it('close() writes what is still buffered', async () => {
    const t = await setup({ flushIntervalMs: 60_000 });
    t.log.record(record({ requestId: 'LASTONE' }));
    t.log.close();
    expect(t.other.prepare('SELECT request_id FROM request_log').all()).toEqual([{ request_id: 'LASTONE' }]);
    t.other.close();
  });

  it('keeps only the newest rows: older ones are pruned in batches, never the newest maxRows', async () => {
    const t = await setup({ flushRows: 1, maxRows: 10, pruneEvery: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = record();
      ids.push(r.requestId);
      t.log.record(r);
    }
    const kept = (t.other.prepare('SELECT request_id FROM request_log ORDER BY id').all() as { request_id: string }[]).map((r) => r.request_id);
    expect(kept.length).toBeGreaterThanOrEqual(10);
    expect(kept.length).toBeLessThan(10 + 5);
    expect(kept).toEqual(ids.slice(-kept.length));
    t.close();
  });

  it('stores every field, and the path never with a query', async () => {
    const t = await setup();
    t.log.record(record({ path: `/photos/cat.png?X-Amz-Signature=${HEX}`, status: 403, errorCode: 'SignatureDoesNotMatch' }));
    const [row] = t.log.query();
    expect(row).toMatchObject({
      method: 'GET',
      path: '/photos/cat.png',
      bucket: 'photos',
      key: 'cat.png',
      authKind: 'sigv4-query',
      accessKeyId: 'AKID',
      operation: 'GetObject',
      status: 403,
      errorCode: 'SignatureDoesNotMatch',
      durationMs: 1.5,
      bytesIn: 120,
      bytesOut: 4096,
      steps: null,
    });
    t.close();
  });

  it('steps are stored redacted', async () => {
    const t = await setup();
    t.log.record(
      record({
        status: 403,
        steps: [{ name: 'signature', ok: false, summary: 'does not match', detail: { signatureProvided: HEX, signatureExpected: HEX.replace(/f/g, 'e') } }],
      }),
    );
    t.log.flush();
    const text = JSON.stringify(t.other.prepare('SELECT steps FROM request_log').get());
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(HEX);
    expect(text).not.toContain('e'.repeat(64));
    t.close();
  });

  it("signet's own endpoints are not logged; a virtual-hosted key under _signet/ is", () => {
    expect(isLoggedRequest({ path: '/_signet/health' })).toBe(false);
    expect(isLoggedRequest({ path: '/_signet/requests' })).toBe(false);
    expect(isLoggedRequest({ path: '/_signet' })).toBe(false);
    expect(isLoggedRequest({ path: '/_signet/x', bucket: 'site' })).toBe(true);
    expect(isLoggedRequest({ path: '/_signetx/y', bucket: '_signetx' })).toBe(true);
    expect(isLoggedRequest({ path: '/photos/a' })).toBe(true);
  });
});

describe('request log queries', () => {
  async function filled() {
    const t = await setup();
    t.log.record(record({ bucket: 'a', status: 200 }));
    t.log.record(record({ bucket: 'b', status: 403, errorCode: 'SignatureDoesNotMatch' }));
    t.log.record(record({ bucket: 'a', status: 404, errorCode: 'NoSuchKey' }));
    t.log.record(record({ bucket: 'a', status: 403, errorCode: 'AccessDenied' }));
    t.log.record(record({ bucket: 'b', status: 500, errorCode: 'InternalError' }));
    return t;
  }

  it('newest first, limited', async () => {
    const t = await filled();
    expect(t.log.query({ limit: 2 }).map((r) => r.errorCode)).toEqual(['InternalError', 'AccessDenied']);
    t.close();
  });

  it('by exact status, by class, by bucket, combined', async () => {
    const t = await filled();
    expect(t.log.query({ status: { exact: 403 } }).map((r) => r.errorCode)).toEqual(['AccessDenied', 'SignatureDoesNotMatch']);
    expect(t.log.query({ status: parseStatusFilter('4xx') }).map((r) => r.status)).toEqual([403, 404, 403]);
    expect(t.log.query({ bucket: 'b' }).map((r) => r.status)).toEqual([500, 403]);
    expect(t.log.query({ bucket: 'a', status: parseStatusFilter('4xx') }).map((r) => r.errorCode)).toEqual(['AccessDenied', 'NoSuchKey']);
    t.close();
  });

  it('afterId reads the rows after a cursor, oldest first (for --follow)', async () => {
    const t = await filled();
    const all = t.log.query();
    const cursor = all[2]!.id;
    expect(t.log.query({ afterId: cursor }).map((r) => r.id)).toEqual([all[1]!.id, all[0]!.id]);
    t.close();
  });

  it('a reader on another connection sees what the writer flushed', async () => {
    const t = await filled();
    t.log.flush();
    const db = openLogDatabase(databasePath(t.dir));
    expect(createRequestLogReader(db).query({ bucket: 'a' })).toHaveLength(3);
    db.close();
    t.close();
  });

  it('status filters: 403 and 4xx parse, anything else does not', () => {
    expect(parseStatusFilter('403')).toEqual({ exact: 403 });
    expect(parseStatusFilter('5XX')).toEqual({ from: 500, to: 599 });
    for (const bad of ['40', '4x', '600', 'abc', '403 ', '']) expect(parseStatusFilter(bad)).toBeUndefined();
  });
});

describe('formatLogLine', () => {
  it('a refusal: time, method, path, status, code, duration, auth, key id, and the failed step', () => {
    const line = formatLogLine({
      id: 1,
      requestId: 'R',
      time: '2030-01-01T00:00:01.000Z',
      method: 'PUT',
      path: '/b/k',
      bucket: 'b',
      key: 'k',
      authKind: 'sigv4-query',
      accessKeyId: 'AKID',
      operation: null,
      status: 403,
      errorCode: 'SignatureDoesNotMatch',
      steps: [
        { name: 'parse', ok: true, summary: 'ok', detail: {} },
        { name: 'signature', ok: false, summary: 'the signature\nprovided differs', detail: {} },
      ],
      durationMs: 2.5,
      bytesIn: 0,
      bytesOut: 10,
    });
    expect(line).toBe('2030-01-01T00:00:01.000Z PUT /b/k 403 SignatureDoesNotMatch 2.5ms sigv4-query AKID failed at signature: the signature provided differs');
  });
});
