/**
 * DeleteObject (DELETE /BUCKET/KEY) and DeleteObjects (POST /BUCKET?delete):
 *
 *   <Delete xmlns="…"><Quiet>true</Quiet><Object><Key>k</Key>[<VersionId/>]</Object>…</Delete>
 *
 *   <DeleteResult xmlns="…"><Deleted><Key>k</Key></Deleted>…<Error><Key/><Code/><Message/></Error>…</DeleteResult>
 *
 * Deleting a key that does not exist succeeds (204; "Deleted" in a multi-delete), as in S3.
 */
import { S3Error } from '../s3-errors.ts';
import { childList, childText, el, elRaw, parseXmlBody, xmlDocument } from '../xml.ts';
import type { Operation } from './index.ts';
import { bucketOf, checkVersionId, keyOf, requireBucket, requireIntegrityHeader, sendEmpty, sendXml, type Ctx } from './common.ts';
import { objectWrite } from './put-object.ts';
import { readSmallBody } from './streams.ts';

export const deleteObject: Operation = {
  name: 'DeleteObject',
  access: objectWrite,
  async run(ctx) {
    checkVersionId(ctx.query);
    const bucket = bucketOf(ctx);
    requireBucket(ctx);
    const { meta, blobs } = ctx.storage;
    // As for a write: answered once committed; the blob goes once the delete is on disk
    // (BlobStore.removeOnceFlushed), so a power cut never brings back a row without its bytes.
    const { result, flushed } = meta.commitTransaction(() => meta.deleteObject(bucket, keyOf(ctx)));
    blobs.removeOnceFlushed(flushed, [result.blobId]);
    sendEmpty(ctx.res, 204);
  },
};

/** S3 takes at most 1000 keys per request. */
export const MAX_DELETE_KEYS = 1000;

/** 1000 keys of 1024 bytes, each character possibly escaped: well above any valid request. */
const MAX_DELETE_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Bucket-level write access is checked up front, at the token's own prefix (which the request
 * may touch); then each key is authorized on its own and a refused key gets an AccessDenied
 * Error entry, as S3 reports per-key permission failures.
 */
export const deleteObjects: Operation = {
  name: 'DeleteObjects',
  access: (ctx) => ({ action: 'write', bucket: bucketOf(ctx), key: ctx.principal.token.prefix ?? undefined }),
  async run(ctx) {
    const bucket = bucketOf(ctx);
    requireBucket(ctx);
    requireIntegrityHeader(ctx);
    const request = parseDeleteRequest(await readSmallBody(ctx, MAX_DELETE_BODY_BYTES));
    const { meta, blobs } = ctx.storage;
    let results = '';
    const removed: Array<string | undefined> = [];
    // One transaction and one flush for up to 1000 keys, not one each (see deleteObject).
    const { flushed } = meta.commitTransaction(() => {
      for (const { key, versionId } of request.objects) {
        const failure = deleteFailure(ctx, bucket, key, versionId);
        if (failure) {
          results += elRaw('Error', el('Key', key) + el('VersionId', versionId) + el('Code', failure.code) + el('Message', failure.message));
          continue;
        }
        removed.push(meta.deleteObject(bucket, key).blobId);
        if (!request.quiet) results += elRaw('Deleted', el('Key', key) + el('VersionId', versionId));
      }
    });
    blobs.removeOnceFlushed(flushed, removed);
    sendXml(ctx.res, xmlDocument('DeleteResult', results));
  },
};

export interface DeleteRequest {
  quiet: boolean;
  objects: { key: string; versionId?: string }[];
}

/** No objects, more than 1000, or an object without a Key: MalformedXML, as S3 answers. */
export function parseDeleteRequest(body: Buffer): DeleteRequest {
  const root = parseXmlBody(body, 'Delete');
  if (root === '') throw new S3Error('MalformedXML');
  const quiet = childText(root, 'Quiet')?.trim().toLowerCase() === 'true';
  const objects = childList(root, 'Object').map((object) => {
    const key = childText(object, 'Key');
    if (key === undefined || key === '') throw new S3Error('MalformedXML');
    return { key, versionId: childText(object, 'VersionId') };
  });
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML');
  return { quiet, objects };
}

function deleteFailure(ctx: Ctx, bucket: string, key: string, versionId: string | undefined): { code: string; message: string } | undefined {
  try {
    ctx.authorize({ action: 'write', bucket, key });
  } catch (err) {
    if (err instanceof S3Error) return { code: err.code, message: err.message };
    throw err;
  }
  if (versionId !== undefined && versionId !== 'null') return { code: 'NoSuchVersion', message: 'The specified version does not exist.' };
  return undefined;
}
