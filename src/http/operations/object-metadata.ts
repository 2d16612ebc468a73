/**
 * Object metadata in and out: which request headers become the stored ObjectMetadata, and
 * which response headers GetObject/HeadObject show for it.
 *
 *   Content-Type           default binary/octet-stream (what S3 shows for an object stored without one)
 *   Content-Encoding       minus the aws-chunked token: "gzip,aws-chunked" -> "gzip", "aws-chunked" -> none
 *   Content-Disposition, Content-Language, Cache-Control, Expires      as sent
 *   x-amz-meta-NAME        NAME lower-case; repeated headers joined with ','; total <= 2 KB
 *   x-amz-storage-class    one of S3's classes; STANDARD when absent
 */
import type { ObjectMetadata, ObjectRecord, StoredChecksum } from '../../storage/types.ts';
import { checksumHeaderName } from '../../checksum/checksum.ts';
import type { RequestContext } from '../context.ts';
import { S3Error } from '../s3-errors.ts';
import { httpDate } from './common.ts';

export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/**
 * S3's limit on user metadata: "the sum of the number of bytes in the UTF-8 encoding of each
 * key and value". UNVERIFIED whether "key" counts the x-amz-meta- prefix; here it does not.
 */
export const MAX_USER_METADATA_BYTES = 2048;

export const STORAGE_CLASSES = new Set([
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'OUTPOSTS',
  'GLACIER_IR',
  'SNOW',
  'EXPRESS_ONEZONE',
  'FSX_OPENZFS',
  'FSX_ONTAP',
]);

/**
 * Query parameters that are never read as headers: the presigned-URL machinery, and checksum
 * values, which AWS ignores when hoisted into a presigned URL (reference s3-auth.md §2.5).
 */
function isHoistable(name: string): boolean {
  if (!name.startsWith('x-amz-')) return false;
  if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-mode') return false;
  return !NOT_HOISTED.has(name);
}
const NOT_HOISTED = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'x-amz-sdk-checksum-algorithm',
  'x-amz-trailer',
  'x-amz-decoded-content-length',
]);

/**
 * The headers an operation reads: the request's headers plus the x-amz-* query parameters a
 * presigner hoisted into the URL (JS v3 getSignedUrl moves x-amz-meta-*, x-amz-storage-class,
 * x-amz-copy-source… into the query), which AWS applies as if they were headers (reference
 * s3-auth.md §2.5). A real header wins over a query parameter of the same name.
 *
 * Applied to every request, not only presigned ones: a query parameter is signed either way.
 * Never used for body checks (prepareUploadBody gets the real headers only).
 */
export function effectiveHeaders(ctx: Pick<RequestContext, 'headers' | 'query'>): Record<string, string[]> {
  let merged: Record<string, string[]> | undefined;
  for (const [rawName, value] of ctx.query) {
    const name = rawName.toLowerCase();
    if (!isHoistable(name) || ctx.headers[name] !== undefined) continue;
    merged ??= { ...ctx.headers };
    (merged[name] ??= []).push(value);
  }
  return merged ?? ctx.headers;
}

/** First value of a header in a header map. */
export function headerOf(headers: Record<string, string[]>, name: string): string | undefined {
  return headers[name]?.[0];
}

/** Reads and validates the metadata an upload (PutObject, CreateMultipartUpload, CopyObject REPLACE) sets. */
export function metadataFromHeaders(headers: Record<string, string[]>): ObjectMetadata {
  const metadata: ObjectMetadata = {
    contentType: headerOf(headers, 'content-type') ?? DEFAULT_CONTENT_TYPE,
    contentDisposition: headerOf(headers, 'content-disposition'),
    contentEncoding: storedContentEncoding(headers['content-encoding']),
    contentLanguage: headerOf(headers, 'content-language'),
    cacheControl: headerOf(headers, 'cache-control'),
    expires: headerOf(headers, 'expires'),
    userMetadata: userMetadataFromHeaders(headers),
    storageClass: storageClassFromHeaders(headers),
  };
  for (const name of Object.keys(metadata) as (keyof ObjectMetadata)[]) {
    if (metadata[name] === undefined) delete metadata[name];
  }
  return metadata;
}

/**
 * aws-chunked is how the request body was framed, not how the object is encoded: S3 stores
 * the other tokens only (reference s3-auth.md §3.1, s3-tests test_object_content_encoding_aws_chunked).
 */
export function storedContentEncoding(values: string[] | undefined): string | undefined {
  if (!values) return undefined;
  const tokens = values
    .join(',')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t.toLowerCase() !== 'aws-chunked');
  return tokens.length > 0 ? tokens.join(',') : undefined;
}

export function storageClassFromHeaders(headers: Record<string, string[]>): string | undefined {
  const value = headerOf(headers, 'x-amz-storage-class');
  if (value === undefined) return undefined;
  if (!STORAGE_CLASSES.has(value)) throw new S3Error('InvalidStorageClass', { elements: { StorageClassRequested: value } });
  return value;
}

function userMetadataFromHeaders(headers: Record<string, string[]>): Record<string, string> {
  const meta: Record<string, string> = {};
  let size = 0;
  for (const [name, values] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const metaName = name.slice('x-amz-meta-'.length);
    const value = values.map(fromHeaderBytes).join(',');
    meta[metaName] = value;
    size += Buffer.byteLength(metaName, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (size > MAX_USER_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', { elements: { Size: String(size), MaxSizeAllowed: String(MAX_USER_METADATA_BYTES) } });
  }
  return meta;
}

/**
 * Node reads header bytes as latin1, so UTF-8 sent raw arrives as mojibake ("Ã©" for "é").
 * Metadata is stored as the text the client meant: UTF-8 when the bytes are valid UTF-8,
 * else the latin1 characters as received. Values from a query string are already text.
 */
function fromHeaderBytes(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

/**
 * S3 returns a metadata value with non-ASCII characters as an RFC 2047 encoded-word of its
 * UTF-8 bytes ("=?UTF-8?B?w6k=?="), since HTTP header values are ASCII (S3 user guide,
 * "User-defined object metadata").
 */
export function metadataHeaderValue(value: string): string {
  if (!/[^\u0020-\u007e\t]/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/**
 * A stored standard header value as it goes on the wire. S3 returns such values as the UTF-8
 * bytes it received; Node writes header strings as latin-1, so non-ASCII text is handed over
 * as its UTF-8 bytes. Control characters (possible in POST form fields, never in a header) are
 * not allowed in an HTTP header at all: they are sent as spaces rather than failing the GET.
 */
export function wireHeaderValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ' ');
  return /[^\u0000-\u007f]/.test(clean) ? Buffer.from(clean, 'utf8').toString('latin1') : clean;
}

/** Headers that describe a stored object (GetObject, HeadObject). */
export function objectHeaders(record: ObjectRecord): Record<string, string> {
  const m = record.metadata;
  const headers: Record<string, string> = {
    'Last-Modified': httpDate(record.lastModified),
    ETag: record.etag,
    'Content-Type': wireHeaderValue(m.contentType ?? DEFAULT_CONTENT_TYPE),
    'Accept-Ranges': 'bytes',
  };
  if (m.contentDisposition !== undefined) headers['Content-Disposition'] = wireHeaderValue(m.contentDisposition);
  if (m.contentEncoding !== undefined) headers['Content-Encoding'] = wireHeaderValue(m.contentEncoding);
  if (m.contentLanguage !== undefined) headers['Content-Language'] = wireHeaderValue(m.contentLanguage);
  if (m.cacheControl !== undefined) headers['Cache-Control'] = wireHeaderValue(m.cacheControl);
  if (m.expires !== undefined) headers.Expires = wireHeaderValue(m.expires);
  if (m.storageClass !== undefined && m.storageClass !== 'STANDARD') headers['x-amz-storage-class'] = m.storageClass;
  for (const [name, value] of Object.entries(m.userMetadata)) headers[`x-amz-meta-${name}`] = metadataHeaderValue(value);
  return headers;
}

/** x-amz-checksum-<alg> and x-amz-checksum-type for a stored checksum. */
export function checksumHeaders(checksum: StoredChecksum | undefined): Record<string, string> {
  if (!checksum) return {};
  return { [checksumHeaderName(checksum.algorithm)]: checksum.value, 'x-amz-checksum-type': checksum.type };
}
