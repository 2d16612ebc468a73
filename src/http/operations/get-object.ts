/**
 * GetObject and HeadObject: the same answer, with or without the bytes.
 *
 *   1. the object (NoSuchBucket, NoSuchKey with a Key element)
 *   2. conditions: If-Match, If-Unmodified-Since -> 412; If-None-Match, If-Modified-Since -> 304
 *   3. which bytes: ?partNumber=N (multipart parts) or Range (206 + Content-Range; 416 InvalidRange)
 *   4. headers: the object's, then response-* overrides; checksums only with
 *      x-amz-checksum-mode: ENABLED and only for the whole object
 */
import type { ObjectRecord } from '../../storage/types.ts';
import { S3Error } from '../s3-errors.ts';
import type { Operation } from './index.ts';
import { bucketOf, checkVersionId, isMissingBlob, keyOf, noSuchKey, ownerOf, requireObject, sendXml, type Ctx } from './common.ts';
import { checkGetConditions } from './conditions.ts';
import { cannedAclXml } from './buckets.ts';
import { checksumHeaders, effectiveHeaders, headerOf, objectHeaders } from './object-metadata.ts';
import { invalidRange, resolveRange, type ByteRange } from './range.ts';
import { sendBlob } from './streams.ts';

const objectRead = (ctx: Ctx) => ({ action: 'read' as const, bucket: bucketOf(ctx), key: keyOf(ctx) });

export const getObject: Operation = {
  name: 'GetObject',
  access: objectRead,
  run: (ctx) => answerObject(ctx, true),
};

export const headObject: Operation = {
  name: 'HeadObject',
  access: objectRead,
  run: (ctx) => answerObject(ctx, false),
};

/** The canned answer of GetBucketAcl, for an object: the owner has FULL_CONTROL. */
export const getObjectAcl: Operation = {
  name: 'GetObjectAcl',
  access: objectRead,
  async run(ctx) {
    checkVersionId(ctx.query);
    requireObject(ctx, bucketOf(ctx), keyOf(ctx));
    sendXml(ctx.res, cannedAclXml(ownerOf(ctx.config)));
  },
};

/**
 * Objects up to this size are read whole and answered in one write: for a few KiB, a stream's
 * extra reads and its machinery cost more than the bytes. Larger ones stream, in constant memory.
 */
const SMALL_OBJECT_BYTES = 64 * 1024;

/** Query parameter -> the response header it overrides. */
const RESPONSE_OVERRIDES: ReadonlyArray<readonly [string, string]> = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

/**
 * An object overwritten or deleted between reading its row and opening its blob is answered
 * again from its new row (once), or NoSuchKey: never a 500.
 */
async function answerObject(ctx: Ctx, withBody: boolean, retry = true): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  checkVersionId(ctx.query);
  const overrides = responseOverrides(ctx.query);
  const record = requireObject(ctx, bucket, key);
  const headers = effectiveHeaders(ctx);
  checkGetConditions(record, headers);

  const rangeHeader = headerOf(headers, 'range');
  const part = selectPart(ctx, record, rangeHeader);
  const selection = part ?? (ctx.query.has('partNumber') ? undefined : selectRange(rangeHeader, record.size));

  const out = objectHeaders(record);
  if (selection) {
    out['Content-Range'] = `bytes ${selection.start}-${selection.end}/${record.size}`;
    out['Content-Length'] = String(selection.end - selection.start + 1);
  } else {
    out['Content-Length'] = String(record.size);
    if (headerOf(headers, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') Object.assign(out, checksumHeaders(record.metadata.checksum));
  }
  if (part && record.partSizes) out['x-amz-mp-parts-count'] = String(record.partSizes.length);
  Object.assign(out, overrides);
  const status = selection ? 206 : 200;

  const length = selection ? selection.end - selection.start + 1 : record.size;
  if (!withBody || length === 0) {
    ctx.res.statusCode = status;
    for (const [name, value] of Object.entries(out)) ctx.res.setHeader(name, value);
    ctx.res.end();
    return;
  }
  try {
    if (length <= SMALL_OBJECT_BYTES) {
      const body = await ctx.storage.blobs.readBytes(record.blobId, selection ?? { start: 0, end: record.size - 1 });
      ctx.res.statusCode = status;
      for (const [name, value] of Object.entries(out)) ctx.res.setHeader(name, value);
      ctx.res.end(body);
      return;
    }
    // The range is known from the row: no stat of the file.
    const range = selection ?? { start: 0, end: record.size - 1 };
    await sendBlob(ctx.res, status, out, await ctx.storage.blobs.openRead(record.blobId, range));
  } catch (err) {
    if (!isMissingBlob(err) || ctx.res.headersSent) throw err;
    if (retry) return answerObject(ctx, withBody, false);
    throw noSuchKey(key);
  }
}

function selectRange(header: string | undefined, size: number): ByteRange | undefined {
  const result = resolveRange(header, size);
  if (result.type === 'unsatisfiable') throw invalidRange(header ?? '', size);
  return result.type === 'range' ? result.range : undefined;
}

/**
 * ?partNumber=N returns the bytes of part N of a multipart object. An object uploaded in one
 * piece has exactly one part, the whole object (UNVERIFIED: whether S3 then answers 200 or
 * 206; signet answers 206 with Content-Range, like any other part).
 */
function selectPart(ctx: Ctx, record: ObjectRecord, rangeHeader: string | undefined): ByteRange | undefined {
  const raw = ctx.query.get('partNumber');
  if (raw === null) return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 10000) {
    throw new S3Error('InvalidArgument', {
      message: 'Part number must be an integer between 1 and 10000, inclusive',
      elements: { ArgumentName: 'partNumber', ArgumentValue: raw },
    });
  }
  if (rangeHeader !== undefined) {
    throw new S3Error('InvalidRequest', { message: 'Cannot specify both Range header and partNumber query parameter' });
  }
  const partNumber = Number(raw);
  const sizes = record.partSizes ?? [record.size];
  if (partNumber > sizes.length) throw new S3Error('InvalidPartNumber', { elements: { PartNumberRequested: raw, ActualPartCount: String(sizes.length) } });
  let start = 0;
  for (let i = 0; i < partNumber - 1; i++) start += sizes[i]!;
  const size = sizes[partNumber - 1]!;
  if (size === 0) return undefined;
  return { start, end: start + size - 1 };
}

/**
 * response-* query parameters replace the stored header in a successful answer. They are
 * signed (part of the canonical query), so only the holder of a signature can set them.
 * HTTP header values are ISO-8859-1: anything else is refused as S3 does.
 */
function responseOverrides(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [param, header] of RESPONSE_OVERRIDES) {
    const value = query.get(param);
    if (value === null) continue;
    if (/[^\t\u0020-\u007e\u0080-\u00ff]/.test(value)) {
      throw new S3Error('InvalidArgument', {
        message: 'Header value cannot be represented using ISO-8859-1.',
        elements: { ArgumentName: param, ArgumentValue: value },
      });
    }
    out[header] = value;
  }
  return out;
}
