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
 * A WAL that no longer exists was checkpointed into the database file, which SQLite syncs.
 */
import { open } from 'node:fs/promises';

export interface WalSync {
  /** Resolves once every commit made before this call is on disk. */
  sync(): Promise<void>;
}

export function createWalSync(walPath: string): WalSync {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;

  async function flush(): Promise<void> {
    let handle;
    try {
      handle = await open(walPath, 'r');
      await handle.datasync();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    } finally {
      await handle?.close();
    }
  }

  function start(): Promise<void> {
    const flushing: Promise<void> = flush().finally(() => {
      if (running === flushing) running = undefined;
    });
    running = flushing;
    return flushing;
  }

  return {
    sync() {
      if (!running) return start();
      const after = (): Promise<void> => {
        next = undefined;
        return start();
      };
      next ??= running.then(after, after);
      return next;
    },
  };
}
