import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobFile } from '../../src/storage/blob-file.ts';
import { useTempDirs } from './temp-dir.ts';

const tempDir = useTempDirs();

describe('BlobFile', () => {
  it('destroyed while a write is in flight, it closes its descriptor only once that write is back', async () => {
    const path = join(await tempDir(), 'blob.tmp');
    const file = new BlobFile(path, undefined);
    file.on('error', () => {});
    // Let the file open, so that the next write goes straight to the thread pool.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const events: string[] = [];
    const big = Buffer.alloc(64 * 1024 * 1024, 7);
    const written = new Promise<void>((resolve) => file.write(big, () => (events.push('write back'), resolve())));
    const closed = new Promise<void>((resolve) => file.once('close', () => (events.push('close'), resolve())));
    file.destroy(new Error('client went away'));
    await Promise.all([written, closed]);
    // A descriptor closed under a write in flight could be reused by another upload's file
    // before the write lands in it.
    expect(events).toEqual(['write back', 'close']);
    expect((await stat(path)).size).toBe(big.length);
  });
});
