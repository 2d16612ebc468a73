import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { BLOB_ID_PATTERN, InvalidBlobIdError, WHOLE_WRITE_BYTES, createBlobStore } from '../../src/storage/blob-store.ts';
import type { BlobReader } from '../../src/storage/types.ts';
import { useTempDirs } from './temp-dir.ts';

const tempDir = useTempDirs();

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Sends `chunks`, then fails with `error` (or is destroyed without one: a client abort), once a
 * file has appeared in `tmpDir` (the write is under way there), or at once without `tmpDir`.
 */
function failingSource(chunks: Buffer[], error: Error | undefined, tmpDir?: string): Readable {
  let sent = 0;
  const source = new Readable({
    read() {
      if (sent < chunks.length) {
        this.push(chunks[sent++]);
        return;
      }
      void (async () => {
        while (tmpDir && (await filesUnder(tmpDir)).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        source.destroy(error);
      })();
    },
  });
  return source;
}

async function newStore() {
  const dataDir = await tempDir();
  return { dataDir, blobs: createBlobStore(dataDir) };
}

describe('BlobStore.write', () => {
  it('stores the bytes under blobs/<2-char fan-out>/<id> and reports size and MD5', async () => {
    const { dataDir, blobs } = await newStore();
    const body = Buffer.from('The quick brown fox jumps over the lazy dog');
    const written = await blobs.write(Readable.from([body.subarray(0, 10), body.subarray(10)]));

    expect(written).toEqual({ blobId: written.blobId, size: 43, md5Hex: '9e107d9d372bb6826bd81d3542a419d6' });
    expect(written.blobId).toMatch(BLOB_ID_PATTERN);
    expect(await filesUnder(join(dataDir, 'blobs'))).toEqual([join(dataDir, 'blobs', written.blobId.slice(0, 2), written.blobId)]);
    expect(await readFile(join(dataDir, 'blobs', written.blobId.slice(0, 2), written.blobId))).toEqual(body);
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
  });

  it('an empty body becomes an empty blob with the MD5 of nothing', async () => {
    const { blobs } = await newStore();
    const written = await blobs.write(Readable.from([]));
    expect(written.size).toBe(0);
    expect(written.md5Hex).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(await text(blobs.read(written.blobId))).toBe('');
  });

  it.each([
    ['written in place', 1],
    ['through tmp/', WHOLE_WRITE_BYTES + 1],
  ])('blob files are private (0600): %s', async (_, size) => {
    const { dataDir, blobs } = await newStore();
    const { blobId } = await blobs.write(Readable.from([Buffer.alloc(size)]));
    expect((await stat(join(dataDir, 'blobs', blobId.slice(0, 2), blobId))).mode & 0o777).toBe(0o600);
  });

  it('streams a body of several megabytes chunk by chunk', async () => {
    const { blobs } = await newStore();
    const chunk = Buffer.alloc(64 * 1024, 7);
    const hash = createHash('md5');
    for (let i = 0; i < 80; i++) hash.update(chunk);
    const written = await blobs.write(Readable.from((function* () {
      for (let i = 0; i < 80; i++) yield chunk;
    })()));
    expect(written.size).toBe(80 * 64 * 1024);
    expect(written.md5Hex).toBe(hash.digest('hex'));
  });

  it('two writes of the same bytes get different ids (ids are random, not content or key)', async () => {
    const { blobs } = await newStore();
    const a = await blobs.write(Readable.from([Buffer.from('same')]));
    const b = await blobs.write(Readable.from([Buffer.from('same')]));
    expect(a.blobId).not.toBe(b.blobId);
    expect(a.md5Hex).toBe(b.md5Hex);
  });

  it('a source that errors halfway rejects with that very error and leaves nothing in blobs/ or tmp/', async () => {
    const { dataDir, blobs } = await newStore();
    const failure = new Error('chunk signature mismatch');
    const source = failingSource([Buffer.alloc(100_000, 1), Buffer.alloc(100_000, 2)], failure, join(dataDir, 'tmp'));

    const outcome = await blobs.write(source).then(() => 'resolved', (error: unknown) => error);

    expect(outcome).toBe(failure);
    expect(await filesUnder(join(dataDir, 'blobs'))).toEqual([]);
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
  });

  it('a source that already failed before write() rejects with its error and leaves no temp file', async () => {
    const { dataDir, blobs } = await newStore();
    const failure = new Error('bad digest');
    const source = new Readable({ read() {} });
    source.destroy(failure);

    await expect(blobs.write(source)).rejects.toBe(failure);
    // Give a late open time to show up if nothing waited for it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
    expect(await filesUnder(join(dataDir, 'blobs'))).toEqual([]);
  });

  it('a client abort (source destroyed without an error) rejects and leaves nothing', async () => {
    const { dataDir, blobs } = await newStore();
    const source = failingSource([Buffer.alloc(50_000, 3), Buffer.alloc(50_000, 4)], undefined, join(dataDir, 'tmp'));

    await expect(blobs.write(source)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
    expect(await filesUnder(join(dataDir, 'blobs'))).toEqual([]);
  });
});

describe('BlobStore.write, a stream that ends within WHOLE_WRITE_BYTES', () => {
  it('is written straight into blobs/, never through tmp/, with its size and MD5', async () => {
    const { dataDir, blobs } = await newStore();
    await rm(join(dataDir, 'tmp'), { recursive: true });
    const body = Buffer.alloc(WHOLE_WRITE_BYTES, 7);
    const written = await blobs.write(Readable.from([body.subarray(0, 1000), body.subarray(1000)]));
    expect(written).toEqual({ blobId: written.blobId, size: WHOLE_WRITE_BYTES, md5Hex: createHash('md5').update(body).digest('hex') });
    expect(await readFile(join(dataDir, 'blobs', written.blobId.slice(0, 2), written.blobId))).toEqual(body);
  });

  it('one byte more goes through tmp/ (gone here, so the write fails) and keeps its first bytes', async () => {
    const { dataDir, blobs } = await newStore();
    const body = Buffer.from(Array.from({ length: WHOLE_WRITE_BYTES + 1 }, (_, i) => i % 251));
    const written = await blobs.write(Readable.from([body.subarray(0, 40_000), body.subarray(40_000)]));
    expect(await readFile(join(dataDir, 'blobs', written.blobId.slice(0, 2), written.blobId))).toEqual(body);
    expect(written.size).toBe(WHOLE_WRITE_BYTES + 1);
    await rm(join(dataDir, 'tmp'), { recursive: true });
    await expect(blobs.write(Readable.from([body]))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a source that fails right after its first 64 KiB, before the write goes on, rejects with its error (never an unhandled one)', async () => {
    const { dataDir, blobs } = await newStore();
    const failure = new Error('gone after the head');
    const source = new Readable({ read() {} });
    const written = blobs.write(source);
    // From a macrotask: the error event (next tick) comes before the write resumes (a microtask).
    setImmediate(() => {
      source.push(Buffer.alloc(WHOLE_WRITE_BYTES + 1));
      source.destroy(failure);
    });
    await expect(written).rejects.toBe(failure);
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
    expect(await filesUnder(join(dataDir, 'blobs'))).toEqual([]);
  });

  it('a source its caller left paused is read all the same', async () => {
    const { blobs } = await newStore();
    const source = Readable.from([Buffer.from('paused')]);
    source.pause();
    const { blobId } = await blobs.write(source);
    expect(await text(blobs.read(blobId))).toBe('paused');
  });

  it('a source that fails or aborts before its end rejects and leaves nothing', async () => {
    const { dataDir, blobs } = await newStore();
    const failure = new Error('bad chunk signature');
    await expect(blobs.write(failingSource([Buffer.alloc(1000, 1)], failure))).rejects.toBe(failure);
    await expect(blobs.write(failingSource([Buffer.alloc(1000, 1)], undefined))).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
    expect(await filesUnder(join(dataDir, 'blobs'))).toEqual([]);
  });
});

describe('BlobStore.write, bytes already in memory (a small upload read whole)', () => {
  it('stores them as a stream would be: same place, size, MD5 and mode, nothing left in tmp/', async () => {
    const { dataDir, blobs } = await newStore();
    const body = Buffer.from('The quick brown fox jumps over the lazy dog');
    const written = await blobs.write(body);
    expect(written).toEqual({ blobId: written.blobId, size: 43, md5Hex: '9e107d9d372bb6826bd81d3542a419d6' });
    const path = join(dataDir, 'blobs', written.blobId.slice(0, 2), written.blobId);
    expect(await filesUnder(join(dataDir, 'blobs'))).toEqual([path]);
    expect(await readFile(path)).toEqual(body);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
    expect((await blobs.write(Buffer.alloc(0), { md5: false })).md5Hex).toBe('');
  });

  it('does not go through tmp/: it works with tmp/ gone', async () => {
    const { dataDir, blobs } = await newStore();
    await rm(join(dataDir, 'tmp'), { recursive: true });
    const { blobId } = await blobs.write(Buffer.from('x'));
    expect(await readFile(join(dataDir, 'blobs', blobId.slice(0, 2), blobId), 'utf8')).toBe('x');
  });

  it('a write whose fan-out directory cannot be made (blobs/ replaced by a file) rejects before writing anything', async () => {
    const { dataDir, blobs } = await newStore();
    await rm(join(dataDir, 'blobs'), { recursive: true });
    await writeFile(join(dataDir, 'blobs'), 'not a directory');
    await expect(blobs.write(Buffer.from('x'))).rejects.toMatchObject({ code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/) });
    expect(await readFile(join(dataDir, 'blobs'), 'utf8')).toBe('not a directory');
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
  });
});

describe('BlobStore.read', () => {
  it('reads a whole blob and inclusive byte ranges', async () => {
    const { blobs } = await newStore();
    const { blobId } = await blobs.write(Readable.from([Buffer.from('0123456789')]));
    expect(await text(blobs.read(blobId))).toBe('0123456789');
    expect(await text(blobs.read(blobId, { start: 0, end: 0 }))).toBe('0');
    expect(await text(blobs.read(blobId, { start: 2, end: 5 }))).toBe('2345');
    expect(await text(blobs.read(blobId, { start: 9, end: 9 }))).toBe('9');
  });

  it('a missing blob fails the stream with ENOENT', async () => {
    const { blobs } = await newStore();
    await expect(text(blobs.read('0'.repeat(32)))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('BlobStore.openRead', () => {
  /** Every byte of the reader, read into buffers of `size` bytes, as sendBlob reads them. */
  async function drain(reader: BlobReader, size: number): Promise<{ bytes: Buffer; reads: number[] }> {
    const parts: Buffer[] = [];
    const reads: number[] = [];
    const into = Buffer.alloc(size);
    for (let n = await reader.read(into); n > 0; n = await reader.read(into)) {
      reads.push(n);
      parts.push(Buffer.from(into.subarray(0, n)));
    }
    await reader.close();
    await reader.close();
    return { bytes: Buffer.concat(parts), reads };
  }

  it('fills the given buffer as far as the blob or range goes, then answers 0', async () => {
    const { blobs } = await newStore();
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const { blobId } = await blobs.write(data);
    for (const [range, length] of [[undefined, 1000], [{ start: 10, end: 509 }, 500]] as const) {
      const reader = await blobs.openRead(blobId, range);
      expect(reader.length).toBe(length);
      await reader.close();
    }
    expect(await drain(await blobs.openRead(blobId), 400)).toEqual({ bytes: data, reads: [400, 400, 200] });
    expect(await drain(await blobs.openRead(blobId, { start: 10, end: 509 }), 300)).toEqual({ bytes: data.subarray(10, 510), reads: [300, 200] });
    expect(await drain(await blobs.openRead(blobId, { start: 999, end: 999 }), 300)).toEqual({ bytes: data.subarray(999), reads: [1] });
  });

  it('a missing blob rejects with ENOENT; a hostile id with InvalidBlobIdError', async () => {
    const { blobs } = await newStore();
    await expect(blobs.openRead('0'.repeat(32))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(blobs.openRead('../outside')).rejects.toBeInstanceOf(InvalidBlobIdError);
  });

  it('a blob shorter than the range asked for is an error, never a short answer', async () => {
    const { blobs } = await newStore();
    const { blobId } = await blobs.write(Buffer.from('0123456789'));
    const reader = await blobs.openRead(blobId, { start: 5, end: 20 });
    await expect(reader.read(Buffer.alloc(100))).rejects.toThrow(/ends 11 bytes early/);
    await reader.close();
  });
});

describe('BlobStore.concat', () => {
  it('joins blobs in the given order into a new blob and keeps the parts', async () => {
    const { blobs } = await newStore();
    const a = await blobs.write(Readable.from([Buffer.from('alpha-')]));
    const b = await blobs.write(Readable.from([Buffer.from('beta-')]));
    const c = await blobs.write(Readable.from([Buffer.from('gamma')]));

    const joined = await blobs.concat([c.blobId, a.blobId, b.blobId]);

    expect(await text(blobs.read(joined.blobId))).toBe('gammaalpha-beta-');
    expect(joined.size).toBe(16);
    expect(joined.md5Hex).toBe(md5('gammaalpha-beta-'));
    expect(new Set([a.blobId, b.blobId, c.blobId]).has(joined.blobId)).toBe(false);
    expect(await text(blobs.read(a.blobId))).toBe('alpha-');
  });

  it('a missing part rejects with ENOENT and leaves no new blob or temp file', async () => {
    const { dataDir, blobs } = await newStore();
    const a = await blobs.write(Readable.from([Buffer.alloc(200_000, 1)]));

    await expect(blobs.concat([a.blobId, 'f'.repeat(32)])).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await blobs.listBlobIds()).sort()).toEqual([a.blobId]);
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
  });
});

describe('BlobStore.remove, cleanTemp, listBlobIds', () => {
  it('remove deletes a blob, and removing a missing blob is not an error', async () => {
    const { blobs } = await newStore();
    const { blobId } = await blobs.write(Readable.from([Buffer.from('x')]));
    await blobs.remove(blobId);
    expect(await blobs.listBlobIds()).toEqual([]);
    await expect(blobs.remove(blobId)).resolves.toBeUndefined();
  });

  it('cleanTemp empties tmp/ and listBlobIds lists only id-named blobs', async () => {
    const { dataDir, blobs } = await newStore();
    const { blobId } = await blobs.write(Readable.from([Buffer.from('x')]));
    await writeFile(join(dataDir, 'tmp', `${'a'.repeat(32)}.tmp`), 'partial');
    await writeFile(join(dataDir, 'blobs', blobId.slice(0, 2), 'notes.txt'), 'stray');

    await blobs.cleanTemp();

    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    expect(await blobs.listBlobIds()).toEqual([blobId]);
  });
});

describe('blob ids that try to leave the data directory', () => {
  const hostileIds = [
    '../../etc/passwd',
    '../outside',
    `${'a'.repeat(30)}/..`,
    `aa/../../${'a'.repeat(32)}`,
    '',
    'A'.repeat(32),
    'a'.repeat(31),
    'a'.repeat(33),
    `${'a'.repeat(32)}\0`,
  ];

  for (const blobId of hostileIds) {
    it(`${JSON.stringify(blobId)} is rejected by read, remove and concat`, async () => {
      const { blobs } = await newStore();
      expect(() => blobs.read(blobId)).toThrow(InvalidBlobIdError);
      await expect(blobs.remove(blobId)).rejects.toBeInstanceOf(InvalidBlobIdError);
      await expect(blobs.concat([blobId])).rejects.toBeInstanceOf(InvalidBlobIdError);
    });
  }

  it('remove("../victim") does not delete the file the id points at', async () => {
    // blobs/<id[0..2]>/<id> for id "../victim" is <dataDir>/blobs/../../victim = <parent>/victim
    const parent = await tempDir();
    const blobs = createBlobStore(join(parent, 'data'));
    await writeFile(join(parent, 'victim'), 'keep me');

    await expect(blobs.remove('../victim')).rejects.toBeInstanceOf(InvalidBlobIdError);
    expect(() => blobs.read('../victim')).toThrow(InvalidBlobIdError);
    expect(await readFile(join(parent, 'victim'), 'utf8')).toBe('keep me');
  });
});

describe('BlobStore.write, bodies larger than the background flush interval', () => {
  it('a 40 MiB body (two background flushes) is stored byte for byte with its MD5', async () => {
    const { dataDir, blobs } = await newStore();
    const chunk = Buffer.alloc(1024 * 1024);
    const hash = createHash('md5');
    const chunks: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const c = Buffer.from(chunk.fill(i));
      chunks.push(c);
      hash.update(c);
    }
    const written = await blobs.write(Readable.from(chunks));
    expect(written.size).toBe(40 * 1024 * 1024);
    expect(written.md5Hex).toBe(hash.digest('hex'));
    const stored = await readFile(join(dataDir, 'blobs', written.blobId.slice(0, 2), written.blobId));
    expect(md5(stored)).toBe(written.md5Hex);
    blobs.close();
  });

  it('a source that fails after 20 MiB (a background flush under way) leaves nothing in blobs/ or tmp/', async () => {
    const { dataDir, blobs } = await newStore();
    const failure = new Error('client went away after 20 MiB');
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1024 * 1024, i));
    const outcome = await blobs.write(failingSource(chunks, failure, join(dataDir, 'tmp'))).then(() => 'resolved', (error: unknown) => error);
    expect(outcome).toBe(failure);
    expect(await filesUnder(join(dataDir, 'blobs'))).toEqual([]);
    expect(await filesUnder(join(dataDir, 'tmp'))).toEqual([]);
    blobs.close();
  });
});
