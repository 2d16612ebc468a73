/**
 * The walk behind ListObjects and ListMultipartUploads, over rows sorted by key in UTF-8 byte
 * order. It never scans a rolled-up group: when a key rolls up into a common prefix, the next
 * read seeks straight past every key that starts with that prefix.
 *
 *   prefix "photos/", delimiter "/", after ""
 *
 *   photos/2006/a.jpg   -> CommonPrefix "photos/2006/"; seek to >= "photos/20060"
 *   photos/2006/b.jpg      (never read)
 *   photos/me.jpg       -> Contents
 *   photos0             -> outside the prefix range [ "photos/", "photos0" ): not read
 *
 * An entry (key or common prefix) is listed only when it sorts after `after`. A common prefix
 * therefore is not repeated when `after` is that prefix (the NextMarker of the previous page)
 * or a key inside it, which is how S3 pages through rolled-up groups.
 */
import { compareKeys, prefixSuccessor } from './key-order.ts';

/** A key range: lower bound (inclusive or not), optional exclusive upper bound. */
export interface KeyRange {
  from: string;
  inclusive: boolean;
  before?: string;
}

export interface WalkOptions<Row> {
  prefix: string;
  delimiter: string;
  after: string;
  limit: number;
  keyOf(row: Row): string;
  /** Rows in the range, in key order; the walk stops reading when it has enough. */
  seek(range: KeyRange): Iterable<Row>;
}

export type Entry<Row> = { type: 'row'; row: Row } | { type: 'prefix'; prefix: string };

export interface Walk<Row> {
  entries: Entry<Row>[];
  isTruncated: boolean;
}

/** Collects up to `limit` entries, plus whether more exist. */
export function walkListing<Row>(options: WalkOptions<Row>): Walk<Row> {
  const { prefix, delimiter, after, limit, keyOf, seek } = options;
  const entries: Entry<Row>[] = [];
  const before = prefixSuccessor(prefix);
  let range: KeyRange | undefined =
    compareKeys(after, prefix) >= 0 ? { from: after, inclusive: false, before } : { from: prefix, inclusive: true, before };
  if (before !== undefined && compareKeys(range.from, before) >= 0) range = undefined;

  while (range && entries.length <= limit) {
    const current: KeyRange = range;
    range = undefined;
    for (const row of seek(current)) {
      const key = keyOf(row);
      const commonPrefix = delimiter ? rollUp(key, prefix, delimiter) : undefined;
      if (commonPrefix === undefined) {
        entries.push({ type: 'row', row });
        if (entries.length > limit) break;
        continue;
      }
      if (compareKeys(commonPrefix, after) > 0) entries.push({ type: 'prefix', prefix: commonPrefix });
      const skipTo = prefixSuccessor(commonPrefix);
      if (skipTo !== undefined && (before === undefined || compareKeys(skipTo, before) < 0)) {
        range = { from: skipTo, inclusive: true, before };
      }
      break;
    }
  }
  const isTruncated = entries.length > limit;
  if (isTruncated) entries.length = limit;
  return { entries, isTruncated };
}

/** The common prefix `key` rolls up into: up to and including the first delimiter after the prefix. */
export function rollUp(key: string, prefix: string, delimiter: string): string | undefined {
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}
