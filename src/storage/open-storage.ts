/**
 * One data directory, opened the same way by the server and by the CLI:
 *
 *   <dataDir>/            0700  (holds token secrets)
 *     signet.db           0600  SQLite, WAL mode (+ signet.db-wal, signet.db-shm, same mode)
 *     blobs/<ab>/<id>           object bytes, named by random ids
 *     tmp/                      writes in progress
 *
 * The server opens with `sweep: true`: it empties tmp/ and removes blobs that no object or
 * part references, the leftovers of a crash before a blob's row was committed (a small blob is
 * written in place, so such a file may also be partly written).
 * The CLI never sweeps: it runs alongside a server whose in-flight writes are not yet rows.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createBlobStore } from './blob-store.ts';
import { openMetadataStore } from './metadata-store.ts';
import type { BlobStore, MetadataStore, Storage } from './types.ts';

export const DATABASE_FILE = 'signet.db';

export interface OpenStorageOptions {
  /** Clean tmp/ and remove unreferenced blobs (server start only). */
  sweep?: boolean;
}

export async function openStorage(dataDir: string, options: OpenStorageOptions = {}): Promise<Storage> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await restrict(() => chmod(dataDir, 0o700));
  await mkdir(join(dataDir, 'blobs'), { recursive: true, mode: 0o700 });
  await mkdir(join(dataDir, 'tmp'), { recursive: true, mode: 0o700 });
  const meta = openMetadataStore(join(dataDir, DATABASE_FILE));
  const blobs = createBlobStore(dataDir);
  try {
    if (options.sweep) await sweepOrphans(blobs, meta);
  } catch (error) {
    meta.close();
    await blobs.close();
    throw error;
  }
  return {
    dataDir,
    blobs,
    meta,
    close: () => {
      meta.close();
      return blobs.close();
    },
  };
}

/** The database alone, synchronously (CLI commands that never touch object bytes). */
export function openMetadataOnly(dataDir: string): MetadataStore {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  restrictSync(() => chmodSync(dataDir, 0o700));
  return openMetadataStore(join(dataDir, DATABASE_FILE));
}

/** Removes temp files and unreferenced blobs. Returns how many blobs were removed. */
export async function sweepOrphans(blobs: BlobStore, meta: MetadataStore): Promise<number> {
  await blobs.cleanTemp();
  const referenced = meta.referencedBlobIds();
  let removed = 0;
  for (const blobId of await blobs.listBlobIds()) {
    if (referenced.has(blobId)) continue;
    await blobs.remove(blobId);
    removed++;
  }
  return removed;
}

/**
 * An existing directory (./storage from the checkout is 0755) is tightened to 0700, because
 * the database inside holds token secrets. A directory owned by someone else cannot be
 * chmod-ed; the database file itself is still 0600.
 */
async function restrict(change: () => Promise<void>): Promise<void> {
  try {
    await change();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}

function restrictSync(change: () => void): void {
  try {
    change();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}
