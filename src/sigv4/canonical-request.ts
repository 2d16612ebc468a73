/**
 * The canonical request (reference s3-auth.md §1.2–§1.6), built the way S3 builds it:
 *
 *   <HTTPMethod>\n
 *   <CanonicalURI>\n          /examplebucket/my%20key      UriEncode(decode(path)), '/' kept
 *   <CanonicalQueryString>\n  a=1&b=x%2Fy                  sorted by key, then value
 *   <CanonicalHeaders>\n      host:example.com\n           one "name:value\n" per signed header
 *                             x-amz-date:20130524T000000Z\n
 *   <SignedHeaders>\n         host;x-amz-date
 *   <HashedPayload>           UNSIGNED-PAYLOAD | e3b0c442…
 *
 * No trailing newline. Since every canonical header line ends with "\n", a blank line
 * separates the headers from the signed-headers list.
 */
import { parseRawQuery } from './query.ts';
import { percentDecode, uriEncode } from './uri-encode.ts';

/**
 * S3 signs the path decoded once and re-encoded once, and never normalises it: `a//b`,
 * `a/./b` and `../x` are distinct keys (§1.3). A literal '+' in the path is a space to S3
 * (AWS-OBS), so a raw `a+b` signs as `a%20b`. An empty path is '/'.
 */
export function createCanonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  return uriEncode(percentDecode(rawPath, { plusAsSpace: true }), { keepSlash: true });
}

export interface CanonicalQueryOptions {
  /** Decoded parameter names to leave out, matched exactly (presigned: X-Amz-Signature). */
  exclude?: readonly string[];
}

/**
 * From the raw query string: each key and value decoded then UriEncoded ('/' becomes %2F),
 * sorted by encoded key then encoded value (byte order; repeated keys keep every value),
 * written `key=value`, empty values as `key=`, joined with '&'. No query: ''.
 */
export function createCanonicalQuery(rawQuery: string, options: CanonicalQueryOptions = {}): string {
  const exclude = new Set(options.exclude ?? []);
  return parseRawQuery(rawQuery)
    .filter((p) => !exclude.has(p.key))
    .map((p) => [p.encodedKey, p.encodedValue] as const)
    .sort(([ak, av], [bk, bv]) => compareStrings(ak, bk) || compareStrings(av, bv))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Encoded strings are ASCII, so UTF-16 order is byte order. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One value as SigV4 canonicalises it: obs-fold line breaks become spaces, leading and
 * trailing whitespace goes, runs of spaces and tabs collapse to one space, quotes or not
 * (`"a   b"` -> `"a b"`). Only ASCII whitespace: Node hands non-ASCII header bytes over as
 * latin-1 characters, and 0xA0 (a UTF-8 continuation byte) must not be taken for a space.
 */
export function canonicalHeaderValue(value: string): string {
  return value.replace(/[\t\n\v\f\r ]+/g, ' ').replace(/^ | $/g, '');
}

/**
 * `name:value\n` for each signed header, in the order given (the verifier passes the
 * client's list as sent). A header sent several times is joined with ',' in arrival order,
 * unsorted; a signed header that is absent is `name:` with an empty value (§1.5).
 */
export function createCanonicalHeaders(headers: Record<string, string[]>, signedHeaders: readonly string[]): string {
  const byName = lowerCaseHeaders(headers);
  return signedHeaders
    .map((name) => {
      const lower = name.toLowerCase();
      const values = byName.get(lower) ?? [];
      return `${lower}:${values.map(canonicalHeaderValue).join(',')}\n`;
    })
    .join('');
}

function lowerCaseHeaders(headers: Record<string, string[]>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, values] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    map.set(lower, [...(map.get(lower) ?? []), ...values]);
  }
  return map;
}

/** For signers: lower-case, de-duplicated, sorted, joined with ';'. */
export function createSignedHeaders(names: Iterable<string>): string {
  return [...new Set([...names].map((n) => n.toLowerCase()))].sort().join(';');
}

/** SignedHeaders as the client wrote it -> names. Empty items are dropped. */
export function splitSignedHeaders(signedHeaders: string): string[] {
  return signedHeaders.split(';').filter((name) => name !== '');
}

export interface CanonicalRequestParts {
  method: string;
  canonicalUri: string;
  canonicalQuery: string;
  /** Output of createCanonicalHeaders: every line ends with "\n". */
  canonicalHeaders: string;
  /** The signed-headers line, e.g. "host;x-amz-date". */
  signedHeaders: string;
  payloadHash: string;
}

export function createCanonicalRequest(parts: CanonicalRequestParts): string {
  return [
    parts.method,
    parts.canonicalUri,
    parts.canonicalQuery,
    parts.canonicalHeaders,
    parts.signedHeaders,
    parts.payloadHash,
  ].join('\n');
}
