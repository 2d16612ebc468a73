/**
 * Object bytes on disk, named by random ids and never by keys:
 *
 *   <dataDir>/blobs/3f/3f9c0a6e1b2d4c5e8f7a6b5c4d3e2f10    committed blobs, 2-character fan-out
 *   <dataDir>/tmp/3f9c0a6e1b2d4c5e8f7a6b5c4d3e2f10.tmp     writes in progress
 *
 * A streamed write goes into tmp/ and is renamed into blobs/ only after the source ended cleanly,
 * so a half-received body (bad chunk signature, client abort) never becomes a blob; a small body
 * (64 KiB), whole in memory before its file is created, is written straight into blobs/. The
 * file and its directory are fsynced before write() resolves, so before any row refers to it.
 * Every id that comes in is checked against {@link BLOB_ID_PATTERN} before it touches a path.
 */
import { createHash } from 'node:crypto';
import { close as closeFd, createReadStream, fsync, mkdirSync, open as openFile, read as readFile } from 'node:fs';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, Readable, type Writable } from 'node:stream';
import { randomHex } from '../random-hex.ts';
import { BlobFile, writeFully } from './blob-file.ts';
import { createDirectorySync } from './directory-sync.ts';
import type { BlobStore, WriteOptions, WrittenBlob } from './types.ts';

/** 16 random bytes in lower-case hex. */
export const BLOB_ID_PATTERN = /^[0-9a-f]{32}$/;

const TEMP_SUFFIX = '.tmp';
/**
 * A stream of unknown length (a POST form's file, a body in aws-chunked framing) that ends
 * within this many bytes is collected and written in one go, straight into blobs/, as a small
 * body read whole is: a stream stage, a temp file and a rename cost more than 64 KiB of memory
 * for the time of a write. Sixteen such uploads at once hold 1 MiB.
 */
export const WHOLE_WRITE_BYTES = 64 * 1024;
/**
 * Reads of a large blob: larger than a stream's 64 KiB default, a quarter of the read calls and
 * of the chunks to write, for a few hundred KiB more per stream in flight. Also the size of the
 * two buffers a GET reuses (BlobStore.openRead, sendBlob).
 */
export const READ_CHUNK_BYTES = 256 * 1024;

export class InvalidBlobIdError extends Error {
  constructor(blobId: string) {
    super(`invalid blob id ${JSON.stringify(blobId)}: expected 32 lower-case hex digits`);
    this.name = 'InvalidBlobIdError';
  }
}

/**
 * Writes in a row share a fan-out directory: a run of {@link FANOUT_RUN} ids starts with the
 * same random byte, then another byte is drawn. Concurrent uploads then rename into one
 * directory and share its fsync (directory-sync.ts) instead of flushing a directory each;
 * over many runs the 256 directories still fill evenly. The other 15 bytes are random.
 */
const FANOUT_RUN = 64;
let fanoutPrefix = '';
let fanoutLeft = 0;

export function newBlobId(): string {
  if (fanoutLeft === 0) {
    fanoutPrefix = randomHex(1);
    fanoutLeft = FANOUT_RUN;
  }
  fanoutLeft--;
  return fanoutPrefix + randomHex(15);
}

/** Creates blobs/ and tmp/ when absent (synchronously: once, at start, never per request). */
export function createBlobStore(dataDir: string): BlobStore {
  const blobsDir = join(dataDir, 'blobs');
  const tmpDir = join(dataDir, 'tmp');
  mkdirSync(blobsDir, { recursive: true, mode: 0o700 });
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });

  /**
   * Fan-out directories, each as the promise that it exists and that its own entry in blobs/ is
   * on disk. The first write into a directory creates it (one mkdir per directory, not one per
   * write) and flushes blobs/; concurrent writes into it wait for that same promise, so none
   * commits a row for a blob in a directory that a power cut could still lose.
   */
  const fanouts = new Map<string, Promise<void>>();
  /** Removals waiting for a commit's flush (removeOnceFlushed) */
  const removals = new Set<Promise<unknown>>();
  const directories = createDirectorySync();

  function blobPath(blobId: string): string {
    if (typeof blobId !== 'string' || !BLOB_ID_PATTERN.test(blobId)) throw new InvalidBlobIdError(blobId);
    return join(blobsDir, blobId.slice(0, 2), blobId);
  }

  /**
   * A stream that ends within {@link WHOLE_WRITE_BYTES} is written as bytes in memory are
   * ({@link commitBytes}); a longer one goes to tmp/ through a BlobFile, in full, its first
   * bytes included; then {@link place} takes over.
   */
  async function commit(source: Readable, options: WriteOptions = {}): Promise<WrittenBlob> {
    // readHead and streamInto watch for errors with finished(), which sees an error emitted
    // between the two (while this function awaits) in the stream's state; this listener only
    // keeps such an 'error' event from being an unhandled one that takes the server down.
    source.on('error', ignore);
    try {
      const head = await readHead(source, WHOLE_WRITE_BYTES);
      if (head.ended) return await commitBytes(head.chunks.length === 1 ? head.chunks[0]! : Buffer.concat(head.chunks), options);
      return await commitStream(source, head.chunks, options);
    } finally {
      source.off('error', ignore);
    }
  }

  /** `head` (already read from `source`) and the rest of `source`, through tmp/. */
  async function commitStream(source: Readable, head: Buffer[], options: WriteOptions): Promise<WrittenBlob> {
    const blobId = newBlobId();
    const tempPath = join(tmpDir, blobId + TEMP_SUFFIX);
    const md5 = options.md5 === false ? undefined : createHash('md5');
    // Created synchronously (it opens in _construct), so `source` is piped into it before this
    // function yields: an error emitted meanwhile can never go unhandled.
    const file = new BlobFile(tempPath, md5);
    try {
      for (const chunk of head) file.write(chunk);
      await streamInto(source, file);
    } catch (error) {
      // This settles as soon as the source fails, possibly before the file has even opened:
      // wait for the descriptor to close, or the unlink could come first.
      await closed(file);
      await rm(tempPath, { force: true });
      throw error;
    }
    await place(blobId, tempPath, file.takeDescriptor());
    return { blobId, size: file.size, md5Hex: md5 ? md5.digest('hex') : '' };
  }

  /**
   * Bytes already in memory (a small upload, read whole and verified): opened straight at its
   * place in blobs/, one write, then the same flushes as {@link place}, without a stream on
   * either side and without a rename. The bytes are complete before the file exists, so no
   * half-received body can land there; a crash mid-write leaves an unreferenced file, which
   * the sweep at start removes, like any blob whose row was never committed.
   */
  async function commitBytes(bytes: Uint8Array, options: WriteOptions = {}): Promise<WrittenBlob> {
    const blobId = newBlobId();
    const finalPath = blobPath(blobId);
    const fd = await intoFanout(blobId, () =>
      new Promise<number>((resolve, reject) => openFile(finalPath, 'wx', 0o600, (error, fd) => (error ? reject(error) : resolve(fd)))),
    );
    let dataFlushed: Promise<void> | undefined;
    try {
      await new Promise<void>((resolve, reject) => writeFully(fd, bytes, (error) => (error ? reject(error) : resolve())));
      dataFlushed = flushFile(fd);
      await flushPlaced(blobId, dataFlushed);
    } catch (error) {
      // The directory's flush can fail first: the descriptor is closed (below) only once its
      // own fsync is back, or the number could be reused while that call still uses it.
      await dataFlushed?.catch(() => {});
      await rm(finalPath, { force: true });
      throw error;
    } finally {
      closeFd(fd, () => {});
    }
    return { blobId, size: bytes.length, md5Hex: options.md5 === false ? '' : createHash('md5').update(bytes).digest('hex') };
  }

  /**
   * The complete file `fd` (open, at `tempPath`) becomes blob `blobId`, and its descriptor is
   * closed. The rename into blobs/ comes before the flushes, not after, so that the file's
   * fsync and its directory's run side by side: nothing refers to a blob until the metadata
   * commit that follows this write, and that commit waits for both. A crash before it leaves an
   * unreferenced file in blobs/, which the sweep at start removes, never an object without its
   * bytes.
   */
  async function place(blobId: string, tempPath: string, fd: number): Promise<void> {
    const dataFlushed = flushFile(fd);
    const finalPath = blobPath(blobId);
    try {
      await intoFanout(blobId, () => rename(tempPath, finalPath));
      await flushPlaced(blobId, dataFlushed);
    } catch (error) {
      await dataFlushed.catch(() => {});
      await Promise.all([rm(tempPath, { force: true }), rm(finalPath, { force: true })]);
      throw error;
    } finally {
      // Flushed (or failed): nothing waits for the close.
      closeFd(fd, () => {});
    }
  }

  /**
   * `create` makes the entry of `blobId` in its fan-out directory, once that directory is
   * ready ({@link fanouts}); if it was removed behind the server's back (`create` fails with
   * ENOENT), the directory is made again, once, by whichever concurrent write saw it first.
   */
  async function intoFanout<T>(blobId: string, create: () => Promise<T>): Promise<T> {
    const fanout = join(blobsDir, blobId.slice(0, 2));
    const ready = fanoutReady(fanout);
    await ready;
    try {
      return await create();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (fanouts.get(fanout) === ready) {
        fanouts.delete(fanout);
        directories.forget(fanout);
      }
      await fanoutReady(fanout);
      return await create();
    }
  }

  function fanoutReady(fanout: string): Promise<void> {
    const known = fanouts.get(fanout);
    if (known) return known;
    const ready = mkdir(fanout, { recursive: true, mode: 0o700 }).then(async (created) => {
      if (created !== undefined) await directories.sync(blobsDir);
    });
    fanouts.set(fanout, ready);
    // A failure is not kept: the next write into that directory tries again.
    ready.catch(() => {
      if (fanouts.get(fanout) === ready) fanouts.delete(fanout);
    });
    return ready;
  }

  /** The file's data (`dataFlushed`) and its entry in its fan-out directory, on disk. */
  async function flushPlaced(blobId: string, dataFlushed: Promise<void>): Promise<void> {
    await Promise.all([dataFlushed, directories.sync(join(blobsDir, blobId.slice(0, 2)))]);
  }

  const store: BlobStore = {
    write: (source, options) => (source instanceof Uint8Array ? commitBytes(source, options) : commit(source, options)),

    read(blobId, range) {
      const path = blobPath(blobId);
      const highWaterMark = READ_CHUNK_BYTES;
      return range ? createReadStream(path, { start: range.start, end: range.end, highWaterMark }) : createReadStream(path, { highWaterMark });
    },

    async openRead(blobId, range) {
      const handle = await open(blobPath(blobId), 'r');
      let position = range ? range.start : 0;
      let remaining: number;
      try {
        remaining = range ? range.end - range.start + 1 : (await handle.stat()).size;
      } catch (error) {
        await handle.close();
        throw error;
      }
      let closed = false;
      return {
        length: remaining,
        async read(into) {
          let filled = 0;
          while (filled < into.length && remaining > 0) {
            const { bytesRead } = await handle.read(into, filled, Math.min(into.length - filled, remaining), position);
            // The file is shorter than its row says: an error, never a silently short body.
            if (bytesRead === 0) throw new Error(`blob ${blobId} ends ${remaining} bytes early`);
            filled += bytesRead;
            position += bytesRead;
            remaining -= bytesRead;
          }
          return filled;
        },
        async close() {
          if (closed) return;
          closed = true;
          await handle.close();
        },
      };
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

    /**
     * What a write answers once it is committed, and why the blobs it replaced wait:
     *
     *   blob written ── fsync (file ‖ directory) ── commit ──▶ answer
     *                                                 └── WAL flush ── replaced blobs removed
     *
     * A row points at a blob only once the blob is on disk, and a blob goes only once no row on
     * disk points at it: removed before the flush, a power cut could bring back the old row
     * without its bytes. So the database never refers to a missing blob, whatever the crash. The
     * answer does not wait for the WAL flush (SQLite's synchronous = NORMAL in WAL mode): a
     * killed process loses nothing it acknowledged; a power cut may lose the writes of the last
     * flush, a few milliseconds, never half of one. A removal that a crash (or a failed flush)
     * prevents leaves an unreferenced blob, which the sweep at the next start removes.
     */
    removeOnceFlushed(flushed, blobIds) {
      const ids = blobIds.filter((id): id is string => id !== undefined);
      if (ids.length === 0) return;
      const removal = flushed
        .then(() => Promise.all(ids.map((id) => store.remove(id))))
        .catch(() => {})
        .finally(() => removals.delete(removal));
      removals.add(removal);
    },

    async close() {
      while (removals.size > 0) await Promise.all(removals);
      directories.close();
    },
  };
  return store;
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
        closeFd(fd, (closeError) => {
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

/**
 * `source` piped into `sink`; resolves once the sink has finished, rejects with the first error
 * of either (both are then destroyed) or when the source closes before its end (an aborted
 * upload). What stream/promises' pipeline does for two streams, without its AbortController:
 * pipeline aborts that controller when it finishes, and the AbortError it builds (a
 * DOMException with a stack trace) cost more than the rest of a small upload's streaming.
 */
function streamInto(source: Readable, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      source.unpipe(sink);
      source.destroy(error);
      sink.destroy(error);
      reject(error);
    };
    finished(source, { writable: false }, (error) => {
      if (error) fail(error);
    });
    finished(sink, (error) => {
      if (error) fail(error);
      else if (!settled) {
        settled = true;
        resolve();
      }
    });
    source.pipe(sink);
  });
}

/**
 * The first chunks of `source`, read until they hold more than `limit` bytes (`ended` false:
 * the rest is still to be read, and the stream is left paused) or until the stream ends
 * (`ended` true). Rejects with the stream's error, or when it closes before its end.
 */
function readHead(source: Readable, limit: number): Promise<{ chunks: Buffer[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      source.off('data', onData);
      stopWatching();
      source.pause();
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= limit) return;
      stop();
      resolve({ chunks, ended: false });
    };
    // 'end', an error, or a close before the end (a client gone): whichever comes first.
    const stopWatching = finished(source, { writable: false }, (error) => {
      stop();
      if (error) reject(error);
      else resolve({ chunks, ended: true });
    });
    source.on('data', onData);
    // As pipe() would: a source its caller left paused flows too.
    source.resume();
  });
}

function ignore(): void {}

/** The file's bytes and size on disk. */
function flushFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}

/** Resolves once a destroyed stream has closed its file descriptor; later errors are moot. */
function closed(stream: Writable): Promise<void> {
  stream.on('error', () => {});
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

async function readdirIfExists(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
