/**
 * The SigV2 string to sign and its two canonical parts (reference s3-auth.md §4, §7.6).
 *
 *   PUT\n                                   HTTP verb
 *   4gJE4saaMU4BqNR0kLY+lw==\n              Content-MD5, or empty
 *   application/x-download\n                Content-Type, or empty
 *   Tue, 27 Mar 2007 21:06:08 +0000\n       Date; empty when x-amz-date is sent; Expires for query auth
 *   x-amz-acl:public-read\n                 CanonicalizedAmzHeaders, one line per x-amz-* name
 *   x-amz-meta-reviewedby:joe@a.net,jane@a.net\n
 *   /static.awsexamplebucket1.net/db-backup.dat.gz     CanonicalizedResource
 */
import type { SignableRequest } from '../auth/types.ts';
import { AMZ_HEADER_PREFIX, HEADER_V2, SUB_RESOURCES, isHoistedQueryHeader } from './constants.ts';
import { splitRawQuery } from './query.ts';

export interface SigV2StringToSignParts {
  method: string;
  contentMd5: string;
  contentType: string;
  /** The Date header, '' when x-amz-date is sent, or the Expires value for query auth. */
  date: string;
  /** Already canonical: every line ends with '\n' (or '' when there are none). */
  canonicalizedAmzHeaders: string;
  canonicalizedResource: string;
}

export function createSigV2StringToSign(parts: SigV2StringToSignParts): string {
  return (
    `${parts.method}\n${parts.contentMd5}\n${parts.contentType}\n${parts.date}\n` +
    `${parts.canonicalizedAmzHeaders}${parts.canonicalizedResource}`
  );
}

/** A positional header (Content-MD5, Content-Type, Date): its first value, trimmed, or ''. */
export function positionalHeader(headers: Record<string, readonly string[]>, lowerName: string): string {
  return headers[lowerName]?.[0]?.trim() ?? '';
}

/**
 * Every x-amz-* header, one `name:value\n` line each, sorted by lower-cased name.
 *
 *   X-Amz-Meta-ReviewedBy: joe@a.net       ->   x-amz-meta-reviewedby:joe@a.net,jane@a.net\n
 *   X-Amz-Meta-ReviewedBy:  jane@a.net
 *
 * Repeated headers are joined with ',' and no space, in arrival order. Folded lines (a line
 * break followed by spaces or tabs) become one space, and each value is trimmed. Spaces inside
 * a value are kept: botocore does not collapse them and neither does the AWS document.
 */
export function createCanonicalizedAmzHeaders(headers: Record<string, readonly string[]>): string {
  const byName = new Map<string, string[]>();
  for (const [name, values] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith(AMZ_HEADER_PREFIX)) continue;
    const list = byName.get(lower) ?? [];
    list.push(...values.map(canonicalAmzValue));
    byName.set(lower, list);
  }
  return [...byName.keys()]
    .sort(compareCodeUnits)
    .map((name) => `${name}:${byName.get(name)!.join(',')}\n`)
    .join('');
}

function canonicalAmzValue(value: string): string {
  return value.replace(/\r?\n[ \t]+/g, ' ').trim();
}

/**
 * How the path of a path-style request that names only a bucket is signed.
 *   'bucket-slash'  GET /bkt  is signed as  /bkt/   (botocore: "the auth_path must be
 *                   terminated with a '/' character to generate a signature that the server
 *                   will accept"; S3 treats the bucket as "/bucket/")
 *   'as-sent'       GET /bkt  is signed as  /bkt    (the AWS document's literal rule; what
 *                   aws-sdk-js v2 signs for path-style)
 * Every other path is signed exactly as sent, so both forms agree there.
 */
export type ResourcePathForm = 'bucket-slash' | 'as-sent';

/**
 * The CanonicalizedResource.
 *
 *   virtual-hosted  Host: bkt.localhost:9000   GET /photos/a%20b.jpg?acl    ->  /bkt/photos/a%20b.jpg?acl
 *   path-style      GET /bkt/photos/a%20b.jpg?versionId=v1&x=1              ->  /bkt/photos/a%20b.jpg?versionId=v1
 *   path-style      GET /bkt?encoding-type=url                              ->  /bkt/
 *   no bucket       GET /                                                   ->  /
 *
 * The path is the raw, undecoded request path: SigV2 signs the bytes as sent (§7.6: the
 * lower-case `%c3%a9` stays lower-case). Then the sub-resources that are present, sorted by
 * name and joined with '&', as `name` or `name=value` with the value URL-decoded (botocore
 * signs every sub-resource value decoded; the AWS document requires it for the response-*
 * overrides).
 */
export function createCanonicalizedResource(
  req: Pick<SignableRequest, 'rawPath' | 'rawQuery' | 'virtualHostBucket'>,
  form: ResourcePathForm = 'bucket-slash',
): string {
  return canonicalResourcePath(req, form) + canonicalSubResources(req.rawQuery);
}

function canonicalResourcePath(req: Pick<SignableRequest, 'rawPath' | 'virtualHostBucket'>, form: ResourcePathForm): string {
  const path = req.rawPath || '/';
  if (req.virtualHostBucket !== undefined) return `/${req.virtualHostBucket}${path}`;
  if (form === 'bucket-slash' && isBucketOnlyPath(path)) return `${path}/`;
  return path;
}

/** `/bkt` (one segment, no trailing slash). */
export function isBucketOnlyPath(rawPath: string): boolean {
  return /^\/[^/]+$/.test(rawPath);
}

function canonicalSubResources(rawQuery: string): string {
  const subResources = splitRawQuery(rawQuery)
    .filter((item) => SUB_RESOURCES.has(item.rawName))
    .sort((a, b) => compareCodeUnits(a.rawName, b.rawName));
  if (subResources.length === 0) return '';
  return `?${subResources.map((s) => (s.value === undefined ? s.rawName : `${s.rawName}=${s.value}`)).join('&')}`;
}

/** Sort order of botocore (Python str order); equal to UTF-16 order for these ASCII names. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Where header auth's request time goes (§4). The AWS document says both:
 *   'standard'               x-amz-date sent: the Date line is empty and x-amz-date is one of
 *                            the amz headers (otherwise the Date line is the Date header)
 *   'amz-date-on-date-line'  the document's DELETE example: the x-amz-date value on the Date
 *                            line, and no x-amz-date amz header
 * Both sign the same time, so accepting both gives nothing away.
 */
export type DateLineForm = 'standard' | 'amz-date-on-date-line';

/** The string to sign of a header-authenticated request (`Authorization: AWS …`). */
export function createHeaderStringToSign(
  req: SignableRequest,
  form: { dateLine: DateLineForm; resource: ResourcePathForm } = { dateLine: 'standard', resource: 'bucket-slash' },
): string {
  const amzDate = positionalHeader(req.headers, HEADER_V2.amzDate);
  const hasAmzDate = req.headers[HEADER_V2.amzDate] !== undefined;
  const alternate = hasAmzDate && form.dateLine === 'amz-date-on-date-line';
  const amzHeaders = alternate ? withoutHeader(req.headers, HEADER_V2.amzDate) : req.headers;
  return createSigV2StringToSign({
    method: req.method,
    contentMd5: positionalHeader(req.headers, HEADER_V2.contentMd5),
    contentType: positionalHeader(req.headers, HEADER_V2.contentType),
    date: alternate ? amzDate : hasAmzDate ? '' : positionalHeader(req.headers, HEADER_V2.date),
    canonicalizedAmzHeaders: createCanonicalizedAmzHeaders(amzHeaders),
    canonicalizedResource: createCanonicalizedResource(req, form.resource),
  });
}

/**
 * The string to sign of a presigned URL: the Date line is the Expires value as sent. Pass the
 * headers from queryAuthHeaders, so values botocore copied into the query are signed.
 */
export function createQueryStringToSign(
  req: SignableRequest,
  expires: string,
  resource: ResourcePathForm = 'bucket-slash',
): string {
  return createSigV2StringToSign({
    method: req.method,
    contentMd5: positionalHeader(req.headers, HEADER_V2.contentMd5),
    contentType: positionalHeader(req.headers, HEADER_V2.contentType),
    date: expires,
    canonicalizedAmzHeaders: createCanonicalizedAmzHeaders(req.headers),
    canonicalizedResource: createCanonicalizedResource(req, resource),
  });
}

/**
 * The headers a presigned URL was signed with: the request's own headers, plus the x-amz-*,
 * Content-MD5 and Content-Type values that botocore's HmacV1QueryAuth signed and then copied
 * into the query (`?content-type=text%2Fplain&x-amz-acl=public-read`). A header the request
 * itself carries wins over a query value of the same name (constants.ts, UNVERIFIED).
 */
export function queryAuthHeaders(req: SignableRequest): Record<string, string[]> {
  const headers: Record<string, string[]> = { ...req.headers };
  const hoisted: Record<string, string[]> = {};
  for (const item of splitRawQuery(req.rawQuery)) {
    const lower = item.name.toLowerCase();
    if (!isHoistedQueryHeader(lower) || req.headers[lower] !== undefined) continue;
    (hoisted[lower] ??= []).push(item.value ?? '');
  }
  return { ...headers, ...hoisted };
}

function withoutHeader(headers: Record<string, string[]>, lowerName: string): Record<string, string[]> {
  const copy = { ...headers };
  delete copy[lowerName];
  return copy;
}
