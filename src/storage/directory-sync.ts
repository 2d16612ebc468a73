/**
 * Makes renames durable: fsyncs the directory they landed in, shared among concurrent writes.
 *
 * A rename is on disk only once its directory is fsynced. One fsync per upload costs as much
 * as the blob's own flush and, under load, roughly halved small-upload throughput. So writes
 * that land in the same directory share one flush (group-flush.ts), and the directories'
 * descriptors stay open for the next write instead of an open and a close each time. New blob
 * ids keep one fan-out directory for a run of writes (blob-store.ts), so concurrent uploads
 * do share a directory.
 *
 * Some platforms cannot open or fsync a directory (EISDIR, EINVAL, EPERM, EACCES): there the
 * flush is skipped, as the rename is as durable as the platform makes it.
 */
import { close as closeFd, fsync, open } from 'node:fs';
import { createGroupFlush } from './group-flush.ts';

export interface DirectorySync {
  /** Resolves once every rename into `dir` made before this call is on disk. */
  sync(dir: string): Promise<void>;
  /** Forgets `dir`'s descriptor (the directory was removed and made again). */
  forget(dir: string): void;
  /** Closes every descriptor once the flushes in progress are done (the storage is closing). */
  close(): void;
}

const UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES']);

const isUnsupported = (error: unknown) => UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '');

/** The directory's descriptor, or undefined where directories cannot be opened. */
function openDirectory(dir: string): Promise<number | undefined> {
  return new Promise((resolve, reject) =>
    open(dir, 'r', (error, fd) => (error ? (isUnsupported(error) ? resolve(undefined) : reject(error)) : resolve(fd))),
  );
}

function flushDirectory(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error && !isUnsupported(error) ? reject(error) : resolve())));
}

interface Entry {
  fd: Promise<number | undefined>;
  flush: () => Promise<void>;
  /** The latest flush asked for: the descriptor is closed only after it. */
  last: Promise<void>;
}

/** `limit`: descriptors kept open at most (the least recently used is closed first). */
export function createDirectorySync(limit = 8): DirectorySync {
  const entries = new Map<string, Entry>();

  function retire(entry: Entry): void {
    entry.last
      .catch(() => {})
      .then(() => entry.fd)
      .then(
        (fd) => fd !== undefined && closeFd(fd, () => {}),
        () => {},
      );
  }

  function entryFor(dir: string): Entry {
    const known = entries.get(dir);
    if (known) {
      // Most recently used last: a Map keeps insertion order.
      entries.delete(dir);
      entries.set(dir, known);
      return known;
    }
    const fd = openDirectory(dir);
    const entry: Entry = {
      fd,
      last: Promise.resolve(),
      flush: createGroupFlush(async () => {
        const opened = await fd;
        if (opened !== undefined) await flushDirectory(opened);
      }),
    };
    // A failed open is not kept: the next write tries again.
    fd.catch(() => {
      if (entries.get(dir) === entry) entries.delete(dir);
    });
    entries.set(dir, entry);
    if (entries.size > limit) {
      const [oldest, old] = entries.entries().next().value as [string, Entry];
      entries.delete(oldest);
      retire(old);
    }
    return entry;
  }

  return {
    sync(dir) {
      const entry = entryFor(dir);
      entry.last = entry.flush();
      return entry.last;
    },
    forget(dir) {
      const entry = entries.get(dir);
      if (!entry) return;
      entries.delete(dir);
      retire(entry);
    },
    close() {
      for (const entry of entries.values()) retire(entry);
      entries.clear();
    },
  };
}
