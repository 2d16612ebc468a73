import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WHOLE_WRITE_BYTES, createBlobStore, newBlobId } from '../../src/storage/blob-store.ts';
import { createDirectorySync } from '../../src/storage/directory-sync.ts';
import { useTempDirs } from './temp-dir.ts';

const tempDir = useTempDirs();

// Descriptors are counted through /proc (Linux); elsewhere these tests say so and skip.
const HAS_PROC_FD = existsSync('/proc/self/fd');
const openDescriptors = () => readdirSync('/proc/self/fd').length;

/** Descriptors closed in callbacks that nobody awaits: give them a moment. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.skipIf(!HAS_PROC_FD)('directory descriptors (counted in /proc/self/fd)', () => {
  it('flushing 30 directories keeps at most `limit` descriptors open, and close() releases them all', async () => {
    const root = await tempDir();
    const dirs = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const dir = join(root, `d${i}`);
      await mkdir(dir);
      return dir;
    }));
    const before = openDescriptors();
    const sync = createDirectorySync(4);
    for (const dir of dirs) await sync.sync(dir);
    await settle();
    expect(openDescriptors() - before).toBeLessThanOrEqual(4);
    sync.close();
    await settle();
    expect(openDescriptors()).toBe(before);
  });

  it('a directory that cannot be opened rejects with ENOENT, and a later sync tries again', async () => {
    const root = await tempDir();
    const dir = join(root, 'later');
    const sync = createDirectorySync();
    await expect(sync.sync(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(dir);
    await expect(sync.sync(dir)).resolves.toBeUndefined();
    sync.close();
  });

  it('blob writes that succeed or fail leave no file descriptor behind once the store is closed', async () => {
    const dataDir = await tempDir();
    const before = openDescriptors();
    const blobs = createBlobStore(dataDir);
    // Small ones (written in place from memory) and large ones (through tmp/ and a BlobFile).
    await Promise.all(Array.from({ length: 20 }, (_, i) => blobs.write(Readable.from([Buffer.alloc(i % 2 ? 1000 + i : WHOLE_WRITE_BYTES + i, i)]))));
    const failing = Array.from({ length: 6 }, (_, i) => {
      const source = new Readable({ read() {} });
      source.push(Buffer.alloc(i % 2 ? 10 : WHOLE_WRITE_BYTES + 10, 1));
      setTimeout(() => source.destroy(new Error('client went away')), 5);
      return blobs.write(source).catch((error: Error) => error.message);
    });
    expect(await Promise.all(failing)).toEqual(Array(6).fill('client went away'));
    blobs.close();
    await settle();
    expect(openDescriptors()).toBe(before);
  });
});

describe('blob ids and fan-out directories', () => {
  it('ids come in runs that share their first byte, so writes in a row land in one directory', () => {
    const ids = Array.from({ length: 640 }, () => newBlobId());
    let changes = 0;
    for (let i = 1; i < ids.length; i++) if (ids[i]!.slice(0, 2) !== ids[i - 1]!.slice(0, 2)) changes++;
    // Runs of 64: at most 10 changes in 640 ids (uniformly random prefixes would change ~637 times).
    expect(changes).toBeLessThanOrEqual(10);
    // ...and the runs move on: 640 ids do not all sit in one directory.
    expect(new Set(ids.map((id) => id.slice(0, 2))).size).toBeGreaterThan(1);
    // The rest of each id stays random: no two are equal.
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    // Longer than WHOLE_WRITE_BYTES: through tmp/, renamed in.
    ['a stream (renamed in from tmp/)', (text: string) => Readable.from([Buffer.from(text), Buffer.alloc(WHOLE_WRITE_BYTES)])],
    ['bytes in memory (opened in place)', (text: string) => Buffer.from(text)],
  ])("a fan-out directory removed behind the server's back is made again, and the write lands in it: %s", async (_, body) => {
    const dataDir = await tempDir();
    const blobs = createBlobStore(dataDir);
    // A run of ids may end between two writes (1 time in 64): then try with the next pair.
    for (let attempt = 0; attempt < 3; attempt++) {
      const first = await blobs.write(body('one'));
      const fanout = join(dataDir, 'blobs', first.blobId.slice(0, 2));
      await rm(fanout, { recursive: true });
      const second = await blobs.write(body('two'));
      if (second.blobId.slice(0, 2) !== first.blobId.slice(0, 2)) continue;
      expect((await readFile(join(fanout, second.blobId))).subarray(0, 3).toString()).toBe('two');
      blobs.close();
      return;
    }
    throw new Error('three runs ended between two writes in a row: ids are not coming in runs');
    blobs.close();
  });
});
