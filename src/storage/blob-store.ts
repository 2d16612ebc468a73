/**
 * Object bytes on disk, named by random ids and never by keys:
 *
 *   <dataDir>/blobs/3f/3f9c0a6e1b2d4c5e8f7a6b5c4d3e2f10    committed blobs, 2-character fan-out
 *   <dataDir>/tmp/3f9c0a6e1b2d4c5e8f7a6b5c4d3e2f10.tmp     writes in progress
 *
 * A write streams into tmp/, fsyncs, and is renamed into blobs/ only after the source ended
 * cleanly, so a half-received body (bad chunk signature, client abort) never becomes a blob.
 * Every id that comes in is checked against {@link BLOB_ID_PATTERN} before it touches a path.
 */
import { createHash } from 'node:crypto';
import { close, createReadStream, createWriteStream, mkdirSync, open as openFile, read as readFile, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomHex } from '../random-hex.ts';
import type { BlobStore, WriteOptions, WrittenBlob } from './types.ts';

/** 16 random bytes in lower-case hex. */
export const BLOB_ID_PATTERN = /^[0-9a-f]{32}$/;

const TEMP_SUFFIX = '.tmp';
const READ_CHUNK_BYTES = 256 * 1024;

export class InvalidBlobIdError extends Error {
  constructor(blobId: string) {
    super(`invalid blob id ${JSON.stringify(blobId)}: expected 32 lower-case hex digits`);
    this.name = 'InvalidBlobIdError';
  }
}

export function newBlobId(): string {
  return randomHex(16);
}

/** Creates blobs/ and tmp/ when absent (synchronously: once, at start, never per request). */
export function createBlobStore(dataDir: string): BlobStore {
  const blobsDir = join(dataDir, 'blobs');
  const tmpDir = join(dataDir, 'tmp');
  mkdirSync(blobsDir, { recursive: true, mode: 0o700 });
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });

  // Fan-out directories known to exist: one mkdir per directory, not one per write.
  const knownFanouts = new Set<string>();

  function blobPath(blobId: string): string {
    if (typeof blobId !== 'string' || !BLOB_ID_PATTERN.test(blobId)) throw new InvalidBlobIdError(blobId);
    return join(blobsDir, blobId.slice(0, 2), blobId);
  }

  async function commit(source: Readable, options: WriteOptions = {}): Promise<WrittenBlob> {
    const blobId = newBlobId();
    const tempPath = join(tmpDir, blobId + TEMP_SUFFIX);
    const md5 = options.md5 === false ? undefined : createHash('md5');
    let size = 0;
    // Without an MD5 to compute, a meter would be one stage too many: the file counts the bytes.
    const meter =
      md5 &&
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
    // Created synchronously (it opens lazily), so the pipeline is attached to `source` before
    // this function yields: an error emitted meanwhile can never go unhandled. `flush` makes
    // the stream fsync before it closes.
    const out = createWriteStream(tempPath, { flags: 'wx', mode: 0o600, flush: true });
    try {
      if (meter) await pipeline(source, meter, out);
      else {
        await pipeline(source, out);
        size = out.bytesWritten;
      }
    } catch (error) {
      // The pipeline settles as soon as the source fails, possibly before `out` has even
      // opened its file: wait for the descriptor to close, or the unlink could come first.
      await closed(out);
      await rm(tempPath, { force: true });
      throw error;
    }
    const finalPath = blobPath(blobId);
    const fanout = join(blobsDir, blobId.slice(0, 2));
    try {
      let createdDir = knownFanouts.has(fanout) ? undefined : await mkdir(fanout, { recursive: true, mode: 0o700 });
      try {
        await rename(tempPath, finalPath);
      } catch (error) {
        // A fan-out directory removed behind the server's back: create it again, once.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !knownFanouts.has(fanout)) throw error;
        knownFanouts.delete(fanout);
        createdDir = await mkdir(fanout, { recursive: true, mode: 0o700 });
        await rename(tempPath, finalPath);
      }
      knownFanouts.add(fanout);
      await syncDirectory(fanout);
      if (createdDir) await syncDirectory(blobsDir);
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
    return { blobId, size, md5Hex: md5 ? md5.digest('hex') : '' };
  }

  return {
    write: (source, options) => commit(source, options),

    read(blobId, range) {
      const path = blobPath(blobId);
      // Reads larger than the 64 KiB default: a quarter of the read calls and of the chunks to
      // write, for a few hundred KiB more per stream in flight.
      const highWaterMark = READ_CHUNK_BYTES;
      return range ? createReadStream(path, { start: range.start, end: range.end, highWaterMark }) : createReadStream(path, { highWaterMark });
    },

    readBytes(blobId, range) {
      let path: string;
      try {
        path = blobPath(blobId);
      } catch (error) {
        return Promise.reject(error);
      }
      return readWhole(path, range.start, range.end - range.start + 1);
    },

    concat(blobIds) {
      let paths: string[];
      try {
        paths = blobIds.map(blobPath);
      } catch (error) {
        return Promise.reject(error);
      }
      return commit(Readable.from(concatenate(paths)));
    },

    async remove(blobId) {
      const path = blobPath(blobId);
      try {
        await unlink(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },

    async cleanTemp() {
      for (const name of await readdirIfExists(tmpDir)) {
        await rm(join(tmpDir, name), { recursive: true, force: true });
      }
    },

    async listBlobIds() {
      const ids: string[] = [];
      for (const fanout of await readdirIfExists(blobsDir)) {
        if (!/^[0-9a-f]{2}$/.test(fanout)) continue;
        for (const name of await readdirIfExists(join(blobsDir, fanout))) {
          if (BLOB_ID_PATTERN.test(name) && name.startsWith(fanout)) ids.push(name);
        }
      }
      return ids;
    },
  };
}

/**
 * `length` bytes from `start`: one open, reads until filled (one, in practice), one close,
 * with the callback API: a stream or a FileHandle costs more than the read itself when the
 * object is a few KiB. A blob shorter than asked fails, before any byte is answered.
 */
function readWhole(path: string, start: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    openFile(path, 'r', (openError, fd) => {
      if (openError) return reject(openError);
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      const finish = (error: Error | null): void =>
        close(fd, (closeError) => {
          const failure = error ?? closeError;
          if (failure) reject(failure);
          else resolve(buffer);
        });
      const next = (): void =>
        readFile(fd, buffer, filled, length - filled, start + filled, (readError, bytesRead) => {
          if (readError) return finish(readError);
          if (bytesRead === 0) return finish(new Error(`${path} ends before byte ${start + length}`));
          filled += bytesRead;
          if (filled < length) next();
          else finish(null);
        });
      if (length === 0) finish(null);
      else next();
    });
  });
}

async function* concatenate(paths: string[]): AsyncGenerator<Buffer> {
  for (const path of paths) {
    for await (const chunk of createReadStream(path)) yield chunk as Buffer;
  }
}

/** Resolves once a destroyed stream has closed its file descriptor; later errors are moot. */
function closed(stream: WriteStream): Promise<void> {
  stream.on('error', () => {});
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

/** Makes a rename durable. Some platforms cannot open or fsync a directory; there it is skipped. */
async function syncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EACCES') throw error;
  } finally {
    await handle?.close();
  }
}

async function readdirIfExists(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
