/**
 * listObjects against a brute-force statement of S3's rules, on a few thousand random keys:
 *
 *   1. take the keys that start with the prefix, in UTF-8 byte order
 *   2. a key with the delimiter after the prefix rolls up into key[0 .. delimiter end]
 *   3. keep the entries (keys and distinct common prefixes) that sort after `after`
 *   4. the first maxKeys of them; truncated when more remain; max-keys 0 lists nothing
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMetadataStore } from '../../src/storage/metadata-store.ts';
import type { ListObjectsQuery, MetadataStore } from '../../src/storage/types.ts';
import { useTempDirs } from './temp-dir.ts';

const tempDir = useTempDirs();
const NOW = new Date('2030-01-01T00:00:00.000Z');
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Pieces whose UTF-16 and UTF-8 orders differ, multi-byte delimiters, NFC vs NFD. */
const PIECES = ['a', 'b', 'c', '/', '-', '.', '\u00e9', 'e\u0301', '\uff5e', '\u{1f600}', '\ue000', '\u{10ffff}', '//'];
const piece = fc.constantFrom(...PIECES);
const keyArb = fc.array(piece, { minLength: 1, maxLength: 7 }).map((parts) => parts.join(''));
const shortArb = fc.array(piece, { maxLength: 3 }).map((parts) => parts.join(''));

const KEYS = [...new Set(fc.sample(keyArb, { seed: 424242, numRuns: 4000 }))].sort(utf8Order);

type Entry = { kind: 'key' | 'prefix'; value: string };

function referenceEntries(query: Omit<ListObjectsQuery, 'maxKeys'>): Entry[] {
  const entries: Entry[] = [];
  for (const key of KEYS) {
    if (!key.startsWith(query.prefix)) continue;
    const at = query.delimiter ? key.indexOf(query.delimiter, query.prefix.length) : -1;
    const entry: Entry = at < 0 ? { kind: 'key', value: key } : { kind: 'prefix', value: key.slice(0, at + query.delimiter.length) };
    if (utf8Order(entry.value, query.after) <= 0) continue;
    const last = entries[entries.length - 1];
    if (last && last.kind === 'prefix' && entry.kind === 'prefix' && last.value === entry.value) continue;
    entries.push(entry);
  }
  return entries;
}

function referencePage(query: ListObjectsQuery) {
  const all = query.maxKeys <= 0 ? [] : referenceEntries(query);
  const page = all.slice(0, Math.max(query.maxKeys, 0));
  const isTruncated = all.length > page.length;
  return {
    keys: page.filter((e) => e.kind === 'key').map((e) => e.value),
    commonPrefixes: page.filter((e) => e.kind === 'prefix').map((e) => e.value),
    isTruncated,
    nextAfter: isTruncated ? page[page.length - 1].value : undefined,
  };
}

function actualPage(meta: MetadataStore, query: ListObjectsQuery) {
  const page = meta.listObjects('b', query);
  return { keys: page.objects.map((o) => o.key), commonPrefixes: page.commonPrefixes, isTruncated: page.isTruncated, nextAfter: page.nextAfter };
}

const queryArb = fc.record({
  prefix: fc.oneof(fc.constant(''), shortArb, fc.constantFrom(...KEYS).map((k) => Array.from(k).slice(0, 2).join(''))),
  delimiter: fc.constantFrom('', '/', '-', '//', '\u00e9', '\u{1f600}', 'ab', '\u{10ffff}'),
  after: fc.oneof(fc.constant(''), shortArb, keyArb, fc.constantFrom(...KEYS)),
  maxKeys: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(1000)),
});

describe('listObjects against a brute-force reference', () => {
  let meta: MetadataStore;

  beforeAll(async () => {
    meta = openMetadataStore(join(await tempDir(), 'signet.db'));
    meta.createBucket('b', NOW);
    meta.createBucket('other', NOW);
    meta.transaction(() => {
      KEYS.forEach((key, i) => {
        const record = { bucket: 'b', key, blobId: i.toString(16).padStart(32, '0'), size: i, etag: '"e"', lastModified: NOW.toISOString(), metadata: { userMetadata: {} } };
        meta.putObject(record);
        meta.putObject({ ...record, bucket: 'other' });
      });
    });
  });
  afterAll(() => meta.close());

  it(`holds ${KEYS.length} distinct random keys`, () => {
    expect(KEYS.length).toBeGreaterThan(2000);
  });

  it('every page equals the reference (prefix, delimiter, after, maxKeys)', () => {
    fc.assert(
      fc.property(queryArb, (query) => {
        expect(actualPage(meta, query)).toEqual(referencePage(query));
      }),
      { seed: 1337, numRuns: 400 },
    );
  });

  it('following nextAfter page by page lists exactly the reference entries, once each', () => {
    fc.assert(
      fc.property(queryArb, fc.integer({ min: 1, max: 25 }), (query, pageSize) => {
        const seen: Entry[] = [];
        let after = query.after;
        for (let pages = 0; pages < 10_000; pages++) {
          const page = meta.listObjects('b', { ...query, after, maxKeys: pageSize });
          const entries: Entry[] = [
            ...page.objects.map((o) => ({ kind: 'key' as const, value: o.key })),
            ...page.commonPrefixes.map((p) => ({ kind: 'prefix' as const, value: p })),
          ].sort((x, y) => utf8Order(x.value, y.value));
          seen.push(...entries);
          if (!page.isTruncated) break;
          after = page.nextAfter!;
        }
        expect(seen).toEqual(referenceEntries(query));
      }),
      { seed: 99, numRuns: 100 },
    );
  });

  it('lists in UTF-8 byte order, not JavaScript string order', () => {
    const page = meta.listObjects('b', { prefix: '\uff5e', delimiter: '', after: '', maxKeys: 1000 });
    const keys = page.objects.map((o) => o.key);
    expect(keys.length).toBeGreaterThan(1);
    expect(keys).toEqual([...keys].sort(utf8Order));
    const both = meta.listObjects('b', { prefix: '', delimiter: '/', after: '\ue000\u{10ffff}', maxKeys: 1000 });
    const firstEmoji = both.objects.findIndex((o) => o.key.startsWith('\u{1f600}'));
    const firstTilde = both.objects.findIndex((o) => o.key.startsWith('\uff5e'));
    expect(firstTilde).toBeGreaterThanOrEqual(0);
    expect(firstTilde).toBeLessThan(firstEmoji);
  });

  it('max-keys 0 lists nothing and is not truncated', () => {
    expect(meta.listObjects('b', { prefix: '', delimiter: '', after: '', maxKeys: 0 })).toEqual({
      objects: [],
      commonPrefixes: [],
      isTruncated: false,
    });
  });

  it('returns full records, and only from the bucket asked for', () => {
    const page = meta.listObjects('b', { prefix: '', delimiter: '', after: '', maxKeys: 3 });
    expect(page.objects.map((o) => o.bucket)).toEqual(['b', 'b', 'b']);
    expect(page.objects[0]).toEqual(meta.getObject('b', page.objects[0].key));
    expect(meta.listObjects('missing', { prefix: '', delimiter: '', after: '', maxKeys: 10 }).objects).toEqual([]);
  });
});

describe('listObjects on a large bucket', () => {
  it('groups 20,000 keys under 200 common prefixes and pages through them', async () => {
    const meta = openMetadataStore(join(await tempDir(), 'signet.db'));
    meta.createBucket('big', NOW);
    meta.transaction(() => {
      for (let dir = 0; dir < 200; dir++) {
        for (let file = 0; file < 100; file++) {
          const key = `data/${String(dir).padStart(3, '0')}/${String(file).padStart(3, '0')}.bin`;
          meta.putObject({ bucket: 'big', key, blobId: 'a'.repeat(32), size: 1, etag: '"e"', lastModified: NOW.toISOString(), metadata: { userMetadata: {} } });
        }
      }
    });

    const first = meta.listObjects('big', { prefix: 'data/', delimiter: '/', after: '', maxKeys: 150 });
    const second = meta.listObjects('big', { prefix: 'data/', delimiter: '/', after: first.nextAfter!, maxKeys: 150 });

    expect(first.commonPrefixes).toHaveLength(150);
    expect(first.nextAfter).toBe('data/149/');
    expect(second.commonPrefixes).toEqual(Array.from({ length: 50 }, (_, i) => `data/${150 + i}/`));
    expect(second.isTruncated).toBe(false);
    meta.close();
  });
});
