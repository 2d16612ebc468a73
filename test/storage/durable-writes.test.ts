/**
 * The write path's performance pieces keep their promises: a commit transaction commits (and
 * rolls back) exactly like transaction(), flushes after, and leaves the connection at
 * synchronous = FULL; a replaced blob is removed only once the commit is flushed; the
 * group flush never lets a caller resolve on a flush that began before its call; a small read
 * returns exactly the bytes asked for, or fails before any is answered.
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { createBlobStore, InvalidBlobIdError } from '../../src/storage/blob-store.ts';
import { openMetadataStore } from '../../src/storage/metadata-store.ts';
import type { Committed, ObjectRecord, WrittenBlob } from '../../src/storage/types.ts';
import { commitObject } from '../../src/http/operations/put-object.ts';
import type { Ctx } from '../../src/http/operations/common.ts';
import { createGroupFlush } from '../../src/storage/group-flush.ts';
import { useTempDirs } from './temp-dir.ts';

const tempDir = useTempDirs();

function object(key: string, blobId: string): ObjectRecord {
  return { bucket: 'b', key, blobId, size: 1, etag: '"x"', lastModified: '2024-01-01T00:00:00.000Z', metadata: { userMetadata: {} } };
}

describe('MetadataStore.commitTransaction', () => {
  it('commits what fn wrote, visible to another connection as soon as it returns fn\'s value; then flushes', async () => {
    const dbPath = join(await tempDir(), 'signet.db');
    const meta = openMetadataStore(dbPath);
    meta.createBucket('b', new Date());
    const { result, flushed } = meta.commitTransaction(() => meta.putObject(object('k', 'a'.repeat(32))));
    expect(result).toEqual({ replacedBlobId: undefined });
    await expect(flushed).resolves.toBeUndefined();
    const other = new Database(dbPath, { readonly: true });
    expect(other.prepare('SELECT blob_id FROM objects WHERE key = ?').get('k')).toEqual({ blob_id: 'a'.repeat(32) });
    other.close();
    meta.close();
  });

  it.skipIf(!existsSync('/proc/self/fd'))('a flush still under way when the store closes leaves no descriptor of the WAL open', async () => {
    const dbPath = join(await tempDir(), 'signet.db');
    const walOpen = () => readdirSync('/proc/self/fd').some((fd) => {
      try {
        // "<path>-wal (deleted)" once the last connection has removed the file
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dbPath}-wal`);
      } catch {
        return false;
      }
    });
    const meta = openMetadataStore(dbPath);
    meta.createBucket('b', new Date());
    await meta.commitTransaction(() => meta.putObject(object('k0', 'a'.repeat(32)))).flushed;
    // Another connection (a CLI command) keeps the WAL file in place when the store closes.
    const cli = new Database(dbPath);
    cli.prepare('SELECT count(*) FROM objects').get();
    // The next two flushes: one under way, one queued behind it, as the store closes.
    const first = meta.commitTransaction(() => meta.putObject(object('k1', 'b'.repeat(32)))).flushed;
    const second = meta.commitTransaction(() => meta.putObject(object('k2', 'c'.repeat(32)))).flushed;
    meta.close();
    await Promise.allSettled([first, second]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    cli.close();
    expect(walOpen()).toBe(false);
  });

  it('rolls back everything fn wrote when it throws, and throws its error', async () => {
    const dbPath = join(await tempDir(), 'signet.db');
    const meta = openMetadataStore(dbPath);
    meta.createBucket('b', new Date());
    expect(() =>
      meta.commitTransaction(() => {
        meta.putObject(object('k', 'a'.repeat(32)));
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(meta.getObject('b', 'k')).toBeUndefined();
    meta.close();
  });

  it('a putObject into a bucket that is gone answers undefined inside a commit, and the commit keeps what else it wrote', async () => {
    const dbPath = join(await tempDir(), 'signet.db');
    const meta = openMetadataStore(dbPath);
    meta.createBucket('b', new Date());
    const { result } = meta.commitTransaction(() => [
      meta.putObject(object('k1', 'a'.repeat(32))),
      meta.putObject({ ...object('k2', 'b'.repeat(32)), bucket: 'gone' }),
      meta.putObject(object('k3', 'c'.repeat(32))),
    ]);
    expect(result).toEqual([{ replacedBlobId: undefined }, undefined, { replacedBlobId: undefined }]);
    expect(meta.getObject('b', 'k1')?.blobId).toBe('a'.repeat(32));
    expect(meta.getObject('b', 'k3')?.blobId).toBe('c'.repeat(32));
    expect(meta.getObject('gone', 'k2')).toBeUndefined();
    meta.close();
  });

  it('commits under synchronous = NORMAL (flushed after, off the event loop) and leaves the connection at FULL, even after a failure', async () => {
    // The pragma is per connection: catch the store's own connection as it sets its pragmas.
    const connections: Database.Database[] = [];
    const pragma = Database.prototype.pragma;
    const spy = vi.spyOn(Database.prototype, 'pragma').mockImplementation(function (this: Database.Database, source: string, options?: Database.PragmaOptions) {
      connections.push(this);
      return pragma.call(this, source, options);
    });
    let meta: ReturnType<typeof openMetadataStore>;
    try {
      meta = openMetadataStore(join(await tempDir(), 'signet.db'));
    } finally {
      spy.mockRestore();
    }
    const db = connections[0]!;
    const FULL = 2;
    const NORMAL = 1;
    meta.createBucket('b', new Date());
    let inside = -1;
    await meta.commitTransaction(() => {
      inside = db.pragma('synchronous', { simple: true }) as number;
      return meta.putObject(object('k', 'a'.repeat(32)));
    }).flushed;
    expect(inside).toBe(NORMAL);
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(() =>
      meta.commitTransaction(() => {
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    meta.close();
  });
});

describe('replaced blobs go only once the commit that replaced them is flushed', () => {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

  async function storeWith(...ids: string[]) {
    const blobs = createBlobStore(await tempDir());
    const written = await Promise.all(ids.map((id) => blobs.write(Buffer.from(id))));
    return { blobs, written: written.map((w) => w.blobId) };
  }

  it('PutObject\'s commit answers before the flush; the old blob is removed after it, not before', async () => {
    const { blobs, written } = await storeWith('old');
    const [old] = written as [string];
    let flush!: () => void;
    const flushed = new Promise<void>((resolve) => (flush = resolve));
    const meta = {
      getBucket: () => ({ name: 'b' }),
      putObject: () => ({ replacedBlobId: old }),
      commitTransaction: <T>(fn: () => T): Committed<T> => ({ result: fn(), flushed }),
    };
    const ctx = { storage: { meta, blobs } } as unknown as Ctx;
    const next: WrittenBlob = { blobId: 'f'.repeat(32), size: 1, md5Hex: '' };
    await commitObject(ctx, next, object('k', next.blobId));
    await settle();
    expect(await blobs.listBlobIds()).toEqual([old]);
    flush();
    await blobs.close();
    expect(await blobs.listBlobIds()).toEqual([]);
  });

  it('several blobs (a completed upload\'s parts) go together; after a failed flush none goes (the sweep at start removes them)', async () => {
    const { blobs, written } = await storeWith('p1', 'p2', 'kept');
    const [p1, p2, kept] = written as [string, string, string];
    blobs.removeOnceFlushed(Promise.resolve(), [p1, undefined, p2]);
    blobs.removeOnceFlushed(Promise.reject(new Error('EIO')), [kept]);
    await blobs.close();
    expect(await blobs.listBlobIds()).toEqual([kept]);
  });
});

describe('createGroupFlush', () => {
  it('a caller arriving while a flush runs waits for the next one, which all such callers share', async () => {
    const started: Array<() => void> = [];
    const flush = createGroupFlush(() => new Promise<void>((resolve) => started.push(resolve)));
    const order: string[] = [];
    const a = flush().then(() => order.push('a'));
    expect(started).toHaveLength(1);
    const b = flush().then(() => order.push('b'));
    const c = flush().then(() => order.push('c'));
    // b and c called after flush #1 began: #1 must not resolve them.
    expect(started).toHaveLength(1);
    started[0]!();
    await a;
    await Promise.resolve();
    expect(order).toEqual(['a']);
    expect(started).toHaveLength(2);
    started[1]!();
    await Promise.all([b, c]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(started).toHaveLength(2);
  });

  it('a caller with no flush running starts one at once; a failed flush rejects its callers only', async () => {
    let calls = 0;
    const flush = createGroupFlush(async () => {
      calls++;
      if (calls === 1) throw new Error('disk');
    });
    await expect(flush()).rejects.toThrow('disk');
    await expect(flush()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});

describe('BlobStore.readBytes', () => {
  it('returns exactly the bytes of an inclusive range, and the whole blob', async () => {
    const blobs = createBlobStore(await tempDir());
    const body = Buffer.from('0123456789abcdef');
    const { blobId } = await blobs.write(Readable.from([body]));
    expect(await blobs.readBytes(blobId, { start: 0, end: 15 })).toEqual(body);
    expect(await blobs.readBytes(blobId, { start: 3, end: 6 })).toEqual(Buffer.from('3456'));
    expect(await blobs.readBytes(blobId, { start: 15, end: 15 })).toEqual(Buffer.from('f'));
  });

  it('a blob shorter than the range fails (before any byte is answered) rather than coming back short', async () => {
    const dataDir = await tempDir();
    const blobs = createBlobStore(dataDir);
    const { blobId } = await blobs.write(Readable.from([Buffer.from('abc')]));
    await writeFile(join(dataDir, 'blobs', blobId.slice(0, 2), blobId), 'ab');
    await expect(blobs.readBytes(blobId, { start: 0, end: 2 })).rejects.toThrow(/ends before byte 3/);
  });

  it('a missing blob rejects with ENOENT (the GET then answers from the new row or NoSuchKey)', async () => {
    const blobs = createBlobStore(await tempDir());
    await expect(blobs.readBytes('0'.repeat(32), { start: 0, end: 0 })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an id that is not 32 hex digits never reaches a path', async () => {
    const blobs = createBlobStore(await tempDir());
    await expect(blobs.readBytes('../../etc/passwd', { start: 0, end: 0 })).rejects.toBeInstanceOf(InvalidBlobIdError);
  });
});

describe('BlobStore.write with { md5: false }', () => {
  it('stores the same bytes and size, and reports no MD5 (the upload verifier computes it)', async () => {
    const blobs = createBlobStore(await tempDir());
    const body = Buffer.from('The quick brown fox jumps over the lazy dog');
    const written = await blobs.write(Readable.from([body]), { md5: false });
    expect(written).toEqual({ blobId: written.blobId, size: 43, md5Hex: '' });
    expect(await blobs.readBytes(written.blobId, { start: 0, end: 42 })).toEqual(body);
  });
});
