/**
 * The Range header of GetObject (RFC 7233, one range only, as S3 serves):
 *
 *   bytes=0-9     the first ten bytes        (an end past the object is cut to its last byte)
 *   bytes=10-     from byte 10 to the end
 *   bytes=-10     the last ten bytes
 *
 * A header that does not parse as one byte range (other units, "bytes=5-3", several ranges)
 * is ignored and the whole object is served, as S3 does. A range starting at or past the end
 * of the object, a zero-length suffix, and any range on an empty object are unsatisfiable:
 * 416 InvalidRange.
 */
import { S3Error } from '../s3-errors.ts';

/** Inclusive byte offsets. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeResult = { type: 'whole' } | { type: 'range'; range: ByteRange } | { type: 'unsatisfiable' };

export function resolveRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { type: 'whole' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { type: 'whole' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { type: 'unsatisfiable' };
    return { type: 'range', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? undefined : Number(m[2]);
  if (end !== undefined && end < start) return { type: 'whole' };
  if (start >= size) return { type: 'unsatisfiable' };
  return { type: 'range', range: { start, end: Math.min(end ?? size - 1, size - 1) } };
}

export function invalidRange(header: string, size: number): S3Error {
  return new S3Error('InvalidRange', {
    elements: { RangeRequested: header, ActualObjectSize: String(size) },
    headers: { 'Content-Range': `bytes */${size}` },
  });
}
