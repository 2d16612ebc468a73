import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BLOB_ID_PATTERN } from '../../src/storage/blob-store.ts';
import { openMetadataOnly, openStorage } from '../../src/storage/open-storage.ts';
import type { Storage } from '../../src/storage/types.ts';
import { useTempDirs } from './temp-dir.ts';

const tempDir = useTempDirs();
const NOW = new Date('2030-01-01T00:00:00.000Z');
const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function putBlobObject(storage: Storage, bucket: string, key: string, body: string) {
  const written = await storage.blobs.write(Readable.from([Buffer.from(body)]));
  storage.meta.putObject({
    bucket,
    key,
    blobId: written.blobId,
    size: written.size,
    etag: `"${written.md5Hex}"`,
    lastModified: NOW.toISOString(),
    metadata: { userMetadata: {} },
  });
  return written.blobId;
}

describe('openStorage', () => {
  it('creates the data dir 0700 and the database 0600 (WAL and SHM files too)', async () => {
    const dataDir = join(await tempDir(), 'nested', 'data');
    const storage = await openStorage(dataDir);
    storage.meta.createBucket('b', NOW);

    expect(await mode(dataDir)).toBe(0o700);
    for (const name of ['signet.db', 'signet.db-wal', 'signet.db-shm']) {
      expect([name, await mode(join(dataDir, name))]).toEqual([name, 0o600]);
    }
    expect((await readdir(dataDir)).sort()).toEqual(['blobs', 'signet.db', 'signet.db-shm', 'signet.db-wal', 'tmp']);
    storage.close();
  });

  it('tightens an existing data dir (./storage is 0755 in a checkout) to 0700', async () => {
    const dataDir = join(await tempDir(), 'storage');
    await mkdir(dataDir);
    await chmod(dataDir, 0o755);
    const storage = await openStorage(dataDir);
    expect(await mode(dataDir)).toBe(0o700);
    storage.close();
  });

  it('no file path is derived from a key: blobs/ only holds id-named files', async () => {
    const dataDir = await tempDir();
    const storage = await openStorage(dataDir);
    storage.meta.createBucket('b', NOW);
    const keys = ['../../etc/passwd', 'a//b', 'a/./b', '%2e%2e/x', 'caf\u00e9', 'cafe\u0301', '\u{1f600}', 'x'.repeat(1024)];
    for (const key of keys) await putBlobObject(storage, 'b', key, `body of ${key}`);

    const entries = await readdir(join(dataDir, 'blobs'), { recursive: true, withFileTypes: true });
    const files = entries.filter((e) => e.isFile()).map((e) => e.name);
    const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    expect(files).toHaveLength(keys.length);
    for (const name of files) expect(name).toMatch(BLOB_ID_PATTERN);
    for (const name of dirs) expect(name).toMatch(/^[0-9a-f]{2}$/);
    for (const key of keys) {
      const record = storage.meta.getObject('b', key)!;
      const chunks: Buffer[] = [];
      for await (const chunk of storage.blobs.read(record.blobId)) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe(`body of ${key}`);
    }
    storage.close();
  });

  it('the sweep at server start removes unreferenced blobs and temp files and keeps referenced ones', async () => {
    const dataDir = await tempDir();
    const first = await openStorage(dataDir);
    first.meta.createBucket('b', NOW);
    const objectBlob = await putBlobObject(first, 'b', 'kept', 'object bytes');
    const partBlob = (await first.blobs.write(Readable.from([Buffer.from('part bytes')]))).blobId;
    first.meta.createUpload({ uploadId: 'u1', bucket: 'b', key: 'big', initiated: NOW.toISOString(), metadata: { userMetadata: {} } });
    first.meta.putPart({ uploadId: 'u1', partNumber: 1, blobId: partBlob, size: 10, etag: '"e"', md5Hex: 'e', lastModified: NOW.toISOString() });
    const orphan = (await first.blobs.write(Readable.from([Buffer.from('crashed before its row')]))).blobId;
    await writeFile(join(dataDir, 'tmp', `${'c'.repeat(32)}.tmp`), 'half a body');
    first.close();

    const cli = await openStorage(dataDir);
    expect((await cli.blobs.listBlobIds()).sort()).toEqual([objectBlob, partBlob, orphan].sort());
    expect(await readdir(join(dataDir, 'tmp'))).toHaveLength(1);
    cli.close();

    const server = await openStorage(dataDir, { sweep: true });
    expect((await server.blobs.listBlobIds()).sort()).toEqual([objectBlob, partBlob].sort());
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    server.close();
  });

  it('openMetadataOnly opens the same database synchronously, as the CLI does', async () => {
    const dataDir = await tempDir();
    const server = await openStorage(dataDir);
    const cli = openMetadataOnly(dataDir);
    cli.createBucket('from-cli', NOW);
    expect(server.meta.getBucket('from-cli')?.name).toBe('from-cli');
    cli.close();
    server.close();
  });
});
