/**
 * CopyObject (PUT /BUCKET/KEY with x-amz-copy-source) and the copy-source handling it shares
 * with UploadPartCopy.
 *
 *   x-amz-copy-source: /source-bucket/photos/a%20b.jpg?versionId=null
 *                      URL-encoded "bucket/key", optional leading '/', optional ?versionId
 *
 *   <CopyObjectResult><ETag>"…"</ETag><LastModified>2024-01-01T00:00:00.000Z</LastModified></CopyObjectResult>
 */
import type { ObjectMetadata, ObjectRecord, WrittenBlob } from '../../storage/types.ts';
import { S3Error } from '../s3-errors.ts';
import { el, xmlDocument } from '../xml.ts';
import type { Operation } from './index.ts';
import { bucketOf, checkKeyLength, isMissingBlob, keyOf, noSuchKey, requireBucket, requireObject, sendXml, type Ctx } from './common.ts';
import { checkCopySourceConditions } from './conditions.ts';
import { effectiveHeaders, headerOf, metadataFromHeaders, storageClassFromHeaders } from './object-metadata.ts';
import { commitObject, objectWrite } from './put-object.ts';

export interface CopySource {
  bucket: string;
  key: string;
}

/** Parses x-amz-copy-source; anything that does not name a bucket and a key is InvalidArgument. */
export function parseCopySource(value: string): CopySource {
  let path = value;
  const query = path.indexOf('?');
  if (query !== -1) {
    const versionId = new URLSearchParams(path.slice(query + 1)).get('versionId');
    if (versionId !== null && versionId !== 'null') {
      throw new S3Error('InvalidArgument', { message: 'Invalid version id specified', elements: { ArgumentName: 'x-amz-copy-source', ArgumentValue: value } });
    }
    path = path.slice(0, query);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new S3Error('InvalidCopySource', { elements: { ArgumentName: 'x-amz-copy-source', ArgumentValue: value } });
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error('InvalidCopySource', { elements: { ArgumentName: 'x-amz-copy-source', ArgumentValue: value } });
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/**
 * The source object of a copy, after checking that the token may read it (a copy must not
 * read what the token could not GET) and the x-amz-copy-source-if-* conditions.
 */
export function readableCopySource(ctx: Ctx, headers: Record<string, string[]>): { source: CopySource; record: ObjectRecord } {
  const source = parseCopySource(headerOf(headers, 'x-amz-copy-source') ?? '');
  ctx.authorize({ action: 'read', bucket: source.bucket, key: source.key });
  const record = requireObject(ctx, source.bucket, source.key);
  checkCopySourceConditions(record, headers);
  return { source, record };
}

/** Copies the source's bytes (or a range of them) into a new blob. */
export async function copyBlob(ctx: Ctx, source: CopySource, record: ObjectRecord, range?: { start: number; end: number }): Promise<WrittenBlob> {
  try {
    return await ctx.storage.blobs.write(ctx.storage.blobs.read(record.blobId, range));
  } catch (err) {
    // The source was overwritten or deleted after its row was read.
    if (isMissingBlob(err)) throw noSuchKey(source.key);
    throw err;
  }
}

const SELF_COPY_MESSAGE =
  "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.";

export const copyObject: Operation = {
  name: 'CopyObject',
  access: objectWrite,
  async run(ctx) {
    const bucket = bucketOf(ctx);
    const key = keyOf(ctx);
    checkKeyLength(key);
    const headers = effectiveHeaders(ctx);
    const directive = metadataDirective(headerOf(headers, 'x-amz-metadata-directive'));
    requireBucket(ctx);
    const { source, record } = readableCopySource(ctx, headers);
    const storageClass = storageClassFromHeaders(headers);
    if (source.bucket === bucket && source.key === key && directive === 'COPY' && storageClass === undefined) {
      throw new S3Error('InvalidRequest', { message: SELF_COPY_MESSAGE });
    }
    const metadata = directive === 'REPLACE' ? metadataFromHeaders(headers) : copiedMetadata(record.metadata, storageClass);
    const written = await copyBlob(ctx, source, record);
    const lastModified = ctx.clock.now().toISOString();
    // A copy is a new single-part object: its ETag is the MD5 of its bytes, even when the
    // source was multipart.
    const etag = `"${written.md5Hex}"`;
    await commitObject(ctx, written, { bucket, key, blobId: written.blobId, size: written.size, etag, lastModified, metadata });
    sendXml(ctx.res, xmlDocument('CopyObjectResult', el('ETag', etag) + el('LastModified', lastModified)));
  },
};

function metadataDirective(value: string | undefined): 'COPY' | 'REPLACE' {
  if (value === undefined || value === 'COPY' || value === 'REPLACE') return value ?? 'COPY';
  throw new S3Error('InvalidArgument', {
    message: 'Unknown metadata directive.',
    elements: { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: value },
  });
}

/**
 * COPY keeps the source's metadata, but not its storage class (a copy is STANDARD unless
 * x-amz-storage-class says otherwise), nor a COMPOSITE checksum, which describes the
 * source's parts and not the single-part copy.
 */
function copiedMetadata(source: ObjectMetadata, storageClass: string | undefined): ObjectMetadata {
  const metadata: ObjectMetadata = { ...source, userMetadata: { ...source.userMetadata } };
  delete metadata.storageClass;
  if (storageClass !== undefined) metadata.storageClass = storageClass;
  if (metadata.checksum?.type === 'COMPOSITE') delete metadata.checksum;
  return metadata;
}
