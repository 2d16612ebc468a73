/**
 * Where a request points: which bucket and key, and whether it was addressed path-style
 * (http://127.0.0.1:9000/BUCKET/KEY) or virtual-hosted (http://BUCKET.localhost:9000/KEY).
 * Runs on the raw path captured from the wire; the signature is verified against that same raw
 * path, so nothing here can change what was signed.
 */
import { S3Error } from './s3-errors.ts';

export interface Address {
  style: 'path' | 'virtual';
  bucket?: string;
  key?: string;
  /** The bucket named by the Host header, for SigV2's CanonicalizedResource */
  virtualHostBucket?: string;
}

/** The suffix that makes a Host virtual-hosted: BUCKET.localhost (CONTRACT.md). */
const VIRTUAL_HOST_SUFFIX = '.localhost';

export function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/**
 * Decodes one path component as S3 does: '+' is a space (AWS reads a literal '+' in the path
 * as a space; clients send '%2B'), then percent-decoding as UTF-8. Malformed escapes or bytes
 * that are not UTF-8 are refused with InvalidURI rather than guessed at.
 */
export function decodePathComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new S3Error('InvalidURI');
  }
}

export function resolveAddress(hostHeader: string | undefined, rawPath: string): Address {
  const hostname = hostnameOf(hostHeader);
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (hostname.endsWith(VIRTUAL_HOST_SUFFIX) && hostname.length > VIRTUAL_HOST_SUFFIX.length) {
    const bucket = hostname.slice(0, -VIRTUAL_HOST_SUFFIX.length);
    const key = path === '' ? undefined : decodePathComponent(path);
    return { style: 'virtual', bucket, key, virtualHostBucket: bucket };
  }
  if (path === '') return { style: 'path' };
  const slash = path.indexOf('/');
  if (slash === -1) return { style: 'path', bucket: decodePathComponent(path) };
  const bucket = decodePathComponent(path.slice(0, slash));
  const rawKey = path.slice(slash + 1);
  return { style: 'path', bucket, key: rawKey === '' ? undefined : decodePathComponent(rawKey) };
}

/** A query parameter name as form-decoded text; a malformed escape (`%zz`) is kept as sent. */
function decodeQueryName(raw: string): string {
  const name = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * POST /BUCKET with no subresource is S3's browser upload (POST Object), authenticated by its
 * form fields rather than by headers or query parameters. Shared by the server and explain.
 */
export function isBrowserPost(method: string, address: Pick<Address, 'bucket' | 'key'>, rawQuery: string): boolean {
  if (method !== 'POST' || !address.bucket || address.key !== undefined) return false;
  const names = rawQuery ? rawQuery.split('&').map((p) => decodeQueryName(p.split('=')[0]!)) : [];
  return !names.some((n) => n === 'delete' || n === 'uploads' || n === 'uploadId');
}
