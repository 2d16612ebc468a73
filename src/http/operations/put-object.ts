/**
 * PutObject (PUT /BUCKET/KEY) and the commit step shared by every operation that creates an
 * object: the new blob is durable before its row points at it, and the replaced blob is
 * removed only once the row that moved is durable (BlobStore.removeOnceFlushed), so neither a
 * reader nor a restart after a crash ever finds a row without bytes.
 */
import { prepareUploadBody, DEFAULT_MAX_UPLOAD_BYTES } from '../body.ts';
import type { ObjectRecord, WrittenBlob } from '../../storage/types.ts';
import type { Operation } from './index.ts';
import { bucketOf, checkKeyLength, keyOf, noSuchBucket, requireBucket, sendEmpty, type Ctx } from './common.ts';
import { checksumHeaders, effectiveHeaders, metadataFromHeaders } from './object-metadata.ts';

export const objectWrite = (ctx: Ctx) => ({ action: 'write' as const, bucket: bucketOf(ctx), key: keyOf(ctx) });

export const putObject: Operation = {
  name: 'PutObject',
  access: objectWrite,
  async run(ctx) {
    const bucket = bucketOf(ctx);
    const key = keyOf(ctx);
    checkKeyLength(key);
    const metadata = metadataFromHeaders(effectiveHeaders(ctx));
    requireBucket(ctx);
    const body = prepareUploadBody(ctx.req, {
      payload: ctx.principal.payload,
      headers: ctx.headers,
      maxBytes: DEFAULT_MAX_UPLOAD_BYTES,
      operation: 'PutObject',
      steps: ctx.principal.steps,
    });
    const written = await ctx.storage.blobs.write(await body.content, { md5: false });
    const result = body.result();
    if (result.checksum) metadata.checksum = result.checksum;
    await commitObject(ctx, written, {
      bucket,
      key,
      blobId: written.blobId,
      size: written.size,
      etag: `"${result.md5Hex}"`,
      lastModified: ctx.clock.now().toISOString(),
      metadata,
    });
    sendEmpty(ctx.res, 200, { ETag: `"${result.md5Hex}"`, ...checksumHeaders(result.checksum) });
  },
};

/**
 * Points the key at a blob that is already written (and flushed); the blob it replaces goes
 * once that commit is flushed. A bucket deleted while the bytes were streaming loses the new
 * blob and answers NoSuchBucket.
 */
export async function commitObject(ctx: Ctx, written: WrittenBlob, record: ObjectRecord): Promise<void> {
  const { meta, blobs } = ctx.storage;
  const { result: outcome, flushed } = meta.commitTransaction(() => meta.putObject(record));
  if (!outcome) {
    await blobs.remove(written.blobId);
    throw noSuchBucket(record.bucket);
  }
  blobs.removeOnceFlushed(flushed, [outcome.replacedBlobId]);
}
