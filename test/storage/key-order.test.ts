import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, prefixSuccessor } from '../../src/storage/key-order.ts';
import { rollUp, walkListing, type KeyRange } from '../../src/storage/listing.ts';

const utf8Order = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** Well-formed strings over characters chosen to straddle the UTF-16 / UTF-8 order differences. */
const keyChar = fc.constantFrom('a', 'b', '/', '0', '.', '\u00e9', '\ud7ff', '\ue000', '\uff5e', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}');
const key = fc.array(keyChar, { maxLength: 6 }).map((chars) => chars.join(''));

describe('compareKeys', () => {
  it('orders U+FF5E before U+1F600 as UTF-8 does (JavaScript < says the opposite)', () => {
    expect('\uff5e' < '\u{1f600}').toBe(false);
    expect(compareKeys('\uff5e', '\u{1f600}')).toBe(-1);
    expect(compareKeys('\u{1f600}', '\uff5e')).toBe(1);
  });

  it('agrees with UTF-8 byte comparison on random well-formed strings', () => {
    fc.assert(fc.property(key, key, (a, b) => compareKeys(a, b) === utf8Order(a, b)), { seed: 20240601, numRuns: 5000 });
  });
});

describe('prefixSuccessor', () => {
  it('increments the last code point', () => {
    expect(prefixSuccessor('photos/')).toBe('photos0');
    expect(prefixSuccessor('a\u{10ffff}')).toBe('b');
    expect(prefixSuccessor('\ud7ff')).toBe('\ue000');
    expect(prefixSuccessor('\uffff')).toBe('\u{10000}');
    expect(prefixSuccessor('')).toBeUndefined();
    expect(prefixSuccessor('\u{10ffff}\u{10ffff}')).toBeUndefined();
  });

  it('k starts with p exactly when p <= k < successor(p), in UTF-8 byte order', () => {
    fc.assert(
      fc.property(key, key, (p, k) => {
        const successor = prefixSuccessor(p);
        const inRange = utf8Order(p, k) <= 0 && (successor === undefined || utf8Order(k, successor) < 0);
        return inRange === k.startsWith(p);
      }),
      { seed: 7, numRuns: 5000 },
    );
  });
});

describe('walkListing', () => {
  /** A sorted in-memory "index" whose seeks count the rows they hand out. */
  function countingIndex(keys: string[]) {
    const sorted = [...keys].sort(utf8Order);
    let rowsRead = 0;
    function* seek(range: KeyRange) {
      for (const k of sorted) {
        const aboveFrom = range.inclusive ? utf8Order(k, range.from) >= 0 : utf8Order(k, range.from) > 0;
        if (!aboveFrom) continue;
        if (range.before !== undefined && utf8Order(k, range.before) >= 0) return;
        rowsRead++;
        yield k;
      }
    }
    return { seek, rowsRead: () => rowsRead };
  }

  it('skips a rolled-up group with one seek instead of reading its keys', () => {
    const keys: string[] = [];
    for (let group = 0; group < 10; group++) for (let i = 0; i < 1000; i++) keys.push(`logs/${group}/${String(i).padStart(4, '0')}`);
    keys.push('logs/readme');
    const index = countingIndex(keys);

    const walk = walkListing({ prefix: 'logs/', delimiter: '/', after: '', limit: 1000, keyOf: (k: string) => k, seek: index.seek });

    expect(walk.entries).toEqual([
      ...Array.from({ length: 10 }, (_, group) => ({ type: 'prefix', prefix: `logs/${group}/` })),
      { type: 'row', row: 'logs/readme' },
    ]);
    expect(walk.isTruncated).toBe(false);
    expect(index.rowsRead()).toBe(11);
  });

  it('does not repeat a common prefix when `after` is that prefix or a key inside it', () => {
    const index = countingIndex(['a/1', 'a/2', 'b/1', 'c']);
    const walk = (after: string) =>
      walkListing({ prefix: '', delimiter: '/', after, limit: 10, keyOf: (k: string) => k, seek: index.seek }).entries;
    expect(walk('a/')).toEqual([{ type: 'prefix', prefix: 'b/' }, { type: 'row', row: 'c' }]);
    expect(walk('a/1')).toEqual([{ type: 'prefix', prefix: 'b/' }, { type: 'row', row: 'c' }]);
    expect(walk('a')).toEqual([{ type: 'prefix', prefix: 'a/' }, { type: 'prefix', prefix: 'b/' }, { type: 'row', row: 'c' }]);
  });

  it('rollUp cuts after the first delimiter that follows the prefix', () => {
    expect(rollUp('photos/2006/a.jpg', 'photos/', '/')).toBe('photos/2006/');
    expect(rollUp('photos/a.jpg', 'photos/', '/')).toBeUndefined();
    expect(rollUp('a--b--c', 'a', '--')).toBe('a--');
    expect(rollUp('a/b', 'a/', '/')).toBeUndefined();
  });
});
