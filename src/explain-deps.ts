/**
 * Explain's lookups, read from the data directory's metadata store: one implementation for the
 * CLI (`signet explain`), the inspector's explain form and the programmatic API. Lives outside
 * src/explain, which touches no storage.
 */
import type { ExplainDeps } from './explain/types.ts';
import type { MetadataStore } from './storage/types.ts';

/** The lookups explain needs, read from a metadata store (server, CLI and API alike). */
export function explainDepsFrom(
  meta: Pick<MetadataStore, 'getToken' | 'getBucket' | 'getObject'>,
  time: { now: Date; region: string; clockOffsetMs: number },
): ExplainDeps {
  return {
    ...time,
    lookupToken: (id) => meta.getToken(id),
    bucketExists: (bucket) => meta.getBucket(bucket) !== undefined,
    objectExists: (bucket, key) => meta.getObject(bucket, key) !== undefined,
  };
}
