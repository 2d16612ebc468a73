/**
 * Group commit for the database's write-ahead log, off the event loop.
 *
 * Under `synchronous = FULL` SQLite fsyncs the WAL inside every COMMIT, on the calling thread:
 * with better-sqlite3 that is the event loop, so each upload's commit stalls every other
 * request for one disk flush, and sixteen concurrent uploads flush sixteen times in a row.
 * Instead, an object commit runs under `synchronous = NORMAL` (the frames are written, not
 * flushed) and then awaits {@link WalSync.sync}, which flushes the WAL file on the thread pool.
 * A 200 is still sent only once the commit is on disk, as under FULL.
 *
 *   commit A ─┐                 commit C ─┐
 *   commit B ─┴─ fsync #1 ──────────────── fsync #2 (C committed after #1 began: #1 may miss it)
 *
 * A flush already running may have started before the caller's commit, so it does not count:
 * the caller waits for the next one, which every caller arriving meanwhile shares.
 * A WAL that does not exist (yet) holds no commit: there is nothing to flush.
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface WalSync {
  /** Resolves once every commit made before this call is on disk. */
  sync(): Promise<void>;
  /** Releases the WAL's descriptor (the database is closing). */
  close(): Promise<void>;
}

/**
 * Calls `flush` so that each caller's promise resolves after a flush that began after the
 * call: callers that arrive while one runs share the next.
 */
export function createGroupFlush(flush: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;

  function start(): Promise<void> {
    const flushing: Promise<void> = flush().finally(() => {
      if (running === flushing) running = undefined;
    });
    running = flushing;
    return flushing;
  }

  return () => {
    if (!running) return start();
    const after = (): Promise<void> => {
      next = undefined;
      return start();
    };
    next ??= running.then(after, after);
    return next;
  };
}

/**
 * The WAL's descriptor stays open between flushes: SQLite removes the file only when the last
 * connection closes, and the server's connection is open as long as this is.
 */
export function createWalSync(walPath: string): WalSync {
  let handle: Promise<FileHandle> | undefined;
  let last: Promise<void> = Promise.resolve();

  async function flush(): Promise<void> {
    handle ??= open(walPath, 'r');
    let wal: FileHandle;
    try {
      wal = await handle;
    } catch (error) {
      handle = undefined;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await wal.datasync();
  }

  const sync = createGroupFlush(flush);
  return {
    sync() {
      last = sync();
      return last;
    },
    async close() {
      const opened = handle;
      handle = undefined;
      await last.catch(() => {});
      await (await opened?.catch(() => undefined))?.close();
    },
  };
}
