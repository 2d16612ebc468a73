/**
 * GetBucketCors, PutBucketCors, DeleteBucketCors (GET|PUT|DELETE /BUCKET?cors). The rules'
 * format, validation and use live in src/http/cors.ts; these only store and answer them.
 */
import { corsToXml, parseCorsXml, parseStoredCors } from '../cors.ts';
import { S3Error } from '../s3-errors.ts';
import { parseXmlBody } from '../xml.ts';
import type { Operation } from './index.ts';
import { bucketOf, noSuchBucket, requireBucket, requireIntegrityHeader, sendEmpty, sendXml, type Ctx } from './common.ts';
import { readSmallBody } from './streams.ts';

/** Changing CORS changes the bucket for every token holder: an 'admin' action. */
const bucketAdmin = (ctx: Ctx) => ({ action: 'admin' as const, bucket: bucketOf(ctx) });

const MAX_CORS_BODY_BYTES = 64 * 1024;

export const getBucketCors: Operation = {
  name: 'GetBucketCors',
  access: (ctx) => ({ action: 'read', bucket: bucketOf(ctx) }),
  async run(ctx) {
    const bucket = requireBucket(ctx);
    const rules = parseStoredCors(bucket.cors);
    if (!rules) throw new S3Error('NoSuchCORSConfiguration', { elements: { BucketName: bucket.name } });
    sendXml(ctx.res, corsToXml(rules));
  },
};

/** The body must be a CORSConfiguration, and (as S3 requires) carry Content-MD5 or a checksum. */
export const putBucketCors: Operation = {
  name: 'PutBucketCors',
  access: bucketAdmin,
  async run(ctx) {
    const bucket = requireBucket(ctx);
    requireIntegrityHeader(ctx);
    const body = await readSmallBody(ctx, MAX_CORS_BODY_BYTES);
    // The shared parser refuses DTDs, entities and a wrong root before cors.ts reads the rules.
    parseXmlBody(body, 'CORSConfiguration');
    const rules = parseCorsXml(body.toString('utf8'));
    // The bucket was found before the body was read: it may have been deleted since.
    if (!ctx.storage.meta.setBucketCors(bucket.name, JSON.stringify(rules))) throw noSuchBucket(bucket.name);
    sendEmpty(ctx.res, 200);
  },
};

export const deleteBucketCors: Operation = {
  name: 'DeleteBucketCors',
  access: bucketAdmin,
  async run(ctx) {
    const bucket = requireBucket(ctx);
    ctx.storage.meta.setBucketCors(bucket.name, null);
    sendEmpty(ctx.res, 204);
  },
};
