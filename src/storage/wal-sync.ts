/**
 * Group commit for the database's write-ahead log, off the event loop.
 *
 * Under `synchronous = FULL` SQLite fsyncs the WAL inside every COMMIT, on the calling thread:
 * with better-sqlite3 that is the event loop, so each upload's commit stalls every other
 * request for one disk flush, and sixteen concurrent uploads flush sixteen times in a row.
 * Instead, an object commit runs under `synchronous = NORMAL` (the frames are written, not
 * flushed) and then starts {@link WalSync.sync}, which flushes the WAL file on the thread pool;
 * what must wait for the commit to be on disk (removing the blobs it replaced) waits for that,
 * the answer does not (MetadataStore.commitTransaction, BlobStore.removeOnceFlushed).
 * Concurrent commits share flushes (group-flush.ts). A WAL that does not exist (yet) holds no
 * commit: there is nothing to flush.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createGroupFlush } from './group-flush.ts';

export interface WalSync {
  /** Resolves once every commit made before this call is on disk. */
  sync(): Promise<void>;
  /** Releases the WAL's descriptor (the database is closing). */
  close(): Promise<void>;
}

/**
 * The WAL's descriptor stays open between flushes: SQLite removes the file only when the last
 * connection closes, and the server's connection is open as long as this is.
 */
export function createWalSync(walPath: string): WalSync {
  let handle: Promise<FileHandle> | undefined;
  let last: Promise<void> = Promise.resolve();
  let closed = false;

  async function flush(): Promise<void> {
    // A flush that starts once the database is closing has nothing left to do: closing the
    // last connection checkpoints the WAL into the database under FULL. Reopening the WAL
    // here would leak the descriptor.
    if (closed && !handle) return;
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
      closed = true;
      await last.catch(() => {});
      const opened = handle;
      handle = undefined;
      await (await opened?.catch(() => undefined))?.close();
    },
  };
}
