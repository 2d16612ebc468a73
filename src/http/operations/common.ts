/**
 * What every operation needs: the bucket and key the app resolved, the bucket's record (or
 * S3's NoSuchBucket), response writers, the owner element, dates and small parameter parsers.
 */
import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { CHECKSUM_ALGORITHMS, checksumHeaderName } from '../../checksum/checksum.ts';
import type { Config } from '../../config.ts';
import type { BucketRecord, ObjectRecord } from '../../storage/types.ts';
import type { RequestContext } from '../context.ts';
import { S3Error } from '../s3-errors.ts';
import { el, elRaw } from '../xml.ts';

export type Ctx = RequestContext;

/** The bucket named by the request; the dispatcher only routes bucket operations here. */
export function bucketOf(ctx: Pick<RequestContext, 'bucket'>): string {
  if (ctx.bucket === undefined) throw new S3Error('InternalError', { message: 'bucket operation without a bucket' });
  return ctx.bucket;
}

export function keyOf(ctx: Pick<RequestContext, 'key'>): string {
  if (ctx.key === undefined) throw new S3Error('InternalError', { message: 'object operation without a key' });
  return ctx.key;
}

export function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', { elements: { BucketName: bucket } });
}

export function noSuchKey(key: string): S3Error {
  return new S3Error('NoSuchKey', { elements: { Key: key } });
}

/**
 * A blob removed between reading an object's row and opening its bytes: the object was
 * overwritten or deleted in that instant.
 */
export function isMissingBlob(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

export function requireBucket(ctx: Ctx, bucket = bucketOf(ctx)): BucketRecord {
  const record = ctx.bucketRead?.name === bucket ? ctx.bucketRead.record : ctx.storage.meta.getBucket(bucket);
  if (!record) throw noSuchBucket(bucket);
  return record;
}

export function requireObject(ctx: Ctx, bucket: string, key: string): ObjectRecord {
  requireBucket(ctx, bucket);
  const record = ctx.storage.meta.getObject(bucket, key);
  if (!record) throw noSuchKey(key);
  return record;
}

/** Every key S3 accepts is at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

export function checkKeyLength(key: string): void {
  const size = Buffer.byteLength(key, 'utf8');
  if (size > MAX_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', { elements: { Size: String(size), MaxSizeAllowed: String(MAX_KEY_BYTES) } });
  }
}

// ---- responses

export function sendXml(res: Response, xml: string, status = 200, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(xml));
  res.end(xml);
}

/** A response without a body (200 with Content-Length 0, or 204). */
export function sendEmpty(res: Response, status: 200 | 204, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (status === 200) res.setHeader('Content-Length', '0');
  res.end();
}

// ---- owner

export interface Owner {
  id: string;
  displayName: string;
}

/**
 * Everything in one signet belongs to one account. S3 shows a 64-hex canonical user id; this
 * one is derived from the root access key id, so it is stable for a data directory.
 */
export function ownerOf(config: Pick<Config, 'rootAccessKeyId'>): Owner {
  const id = createHash('sha256').update(`signet-owner:${config.rootAccessKeyId}`).digest('hex');
  return { id, displayName: 'signet' };
}

/** `<Owner><ID>…</ID><DisplayName>…</DisplayName></Owner>` (or another element name). */
export function ownerXml(owner: Owner, name = 'Owner'): string {
  return elRaw(name, el('ID', owner.id) + el('DisplayName', owner.displayName));
}

// ---- formats

/** RFC 7231 IMF-fixdate, as in Last-Modified: "Tue, 15 Nov 1994 08:12:31 GMT". */
export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/** ETags are stored quoted; XML and comparisons sometimes need the bare value. */
export function unquoteEtag(etag: string): string {
  let value = etag.trim();
  if (value.startsWith('W/')) value = value.slice(2);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return value;
}

/**
 * An integer query parameter such as max-keys: undefined when absent, else a whole number in
 * [min, max] or InvalidArgument naming the parameter.
 */
export function integerParam(
  query: URLSearchParams,
  name: string,
  opts: { min: number; max: number; message: string },
): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d{1,15}$/.test(raw) || Number(raw) < opts.min || Number(raw) > opts.max) {
    throw new S3Error('InvalidArgument', { message: opts.message, elements: { ArgumentName: name, ArgumentValue: raw } });
  }
  return Number(raw);
}

/** S3 never versions in signet: the only version id that exists is "null". */
export function checkVersionId(query: URLSearchParams): void {
  const versionId = query.get('versionId');
  if (versionId === null || versionId === 'null') return;
  throw new S3Error('InvalidArgument', {
    message: 'Invalid version id specified',
    elements: { ArgumentName: 'versionId', ArgumentValue: versionId },
  });
}

/**
 * The URL at which a key is served, for CompleteMultipartUpload's Location: in the style the
 * request used (virtual-hosted when the Host starts with the bucket name).
 */
export function objectUrl(ctx: Ctx, bucket: string, key: string): string {
  const host = ctx.headers.host?.[0] ?? `${ctx.config.host}:${ctx.config.port}`;
  const encodedKey = key.split('/').map(encodeURIComponent).join('/');
  const virtual = host.toLowerCase().startsWith(`${bucket}.`);
  return virtual ? `http://${host}/${encodedKey}` : `http://${host}/${encodeURIComponent(bucket)}/${encodedKey}`;
}

/**
 * S3 requires an integrity check on some request bodies (DeleteObjects, PutBucketCors): "the
 * Content-MD5 header is required", and accepts an x-amz-checksum-* (header or trailer)
 * instead, which is what current SDKs send. Without either: 400 InvalidRequest, AWS's
 * wording. The body itself is verified against them while it is read.
 */
export function requireIntegrityHeader(ctx: Pick<Ctx, 'headers'>): void {
  if (ctx.headers['content-md5'] !== undefined) return;
  if (CHECKSUM_ALGORITHMS.some((alg) => ctx.headers[checksumHeaderName(alg)] !== undefined)) return;
  if (/x-amz-checksum-/i.test(ctx.headers['x-amz-trailer']?.join(',') ?? '')) return;
  throw new S3Error('InvalidRequest', { message: 'Missing required header for this request: Content-MD5' });
}
