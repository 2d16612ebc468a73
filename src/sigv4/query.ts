/**
 * The raw query string, split the way SigV4 reads it (reference s3-auth.md §1.4).
 *
 *   "b=2&a=x%2Fy&flag&&c=a+b"  ->  [b=2] [a="x/y"] [flag=""] [c="a b"]
 *
 * Built from the raw string, never from a framework's parsed query: Express's `req.query`
 * merges repeated keys and loses the difference between `%2B` and `+`.
 */
import { percentDecode, uriEncode } from './uri-encode.ts';

export interface QueryParam {
  /** Decoded key and value, for reading (lossy where the bytes are not UTF-8). */
  key: string;
  value: string;
  /** UriEncode of the decoded bytes: exact, as they enter the canonical query. */
  encodedKey: string;
  encodedValue: string;
}

/**
 * Splits on '&', then at the first '='; a missing '=' is an empty value; empty items are
 * skipped. '+' is read as a space: what curl and Ceph do; AWS's own behaviour is UNVERIFIED.
 */
export function parseRawQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  for (const item of rawQuery.split('&')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const rawKey = eq === -1 ? item : item.slice(0, eq);
    const rawValue = eq === -1 ? '' : item.slice(eq + 1);
    const [key, encodedKey] = decodeAndEncode(rawKey);
    const [value, encodedValue] = decodeAndEncode(rawValue);
    params.push({ key, value, encodedKey, encodedValue });
  }
  return params;
}

/** Text made only of unreserved characters decodes to itself and encodes to itself. */
const UNRESERVED_ONLY = /^[A-Za-z0-9\-._~]*$/;

/** [decoded text, UriEncode of the decoded bytes]; most X-Amz-* values take the first branch. */
function decodeAndEncode(raw: string): [string, string] {
  if (UNRESERVED_ONLY.test(raw)) return [raw, raw];
  const bytes = percentDecode(raw, { plusAsSpace: true });
  return [bytes.toString('utf8'), uriEncode(bytes)];
}

/** The first value of a parameter whose decoded name is exactly `name`. */
export function getQueryParam(params: readonly QueryParam[], name: string): string | undefined {
  return params.find((p) => p.key === name)?.value;
}

export function hasQueryParam(params: readonly QueryParam[], name: string): boolean {
  return params.some((p) => p.key === name);
}
