/**
 * ListObjectsV2 (GET /BUCKET?list-type=2) and ListObjects v1 (GET /BUCKET).
 *
 *   <ListBucketResult xmlns="…">
 *     <Name/> <Prefix/> [<ContinuationToken/>] [<NextContinuationToken/>] [<StartAfter/>]   (v2)
 *     <Name/> <Prefix/> <Marker/> [<NextMarker/>]                                            (v1)
 *     [<KeyCount/>] <MaxKeys/> [<Delimiter/>] [<EncodingType/>] <IsTruncated/>
 *     <Contents><Key/><LastModified/><ETag/>[<ChecksumAlgorithm/><ChecksumType/>]<Size/>[<Owner/>]<StorageClass/></Contents>…
 *     <CommonPrefixes><Prefix/></CommonPrefixes>…
 *   </ListBucketResult>
 *
 * Keys come from storage in UTF-8 byte order, common prefixes already rolled up.
 */
import type { ListObjectsPage, ObjectRecord } from '../../storage/types.ts';
import { S3Error } from '../s3-errors.ts';
import { el, elRaw, xmlDocument } from '../xml.ts';
import type { Operation } from './index.ts';
import { bucketOf, integerParam, ownerOf, ownerXml, requireBucket, sendXml, type Ctx, type Owner } from './common.ts';

/** S3's default and cap for max-keys (and max-uploads, max-parts). */
export const MAX_LIST_KEYS = 1000;

/** Listings are reads scoped to their prefix: a prefix-limited token may list inside it. */
export const listingAccess = (ctx: Ctx) => ({ action: 'read' as const, bucket: bucketOf(ctx), key: ctx.query.get('prefix') ?? '' });

export const listObjectsV2: Operation = {
  name: 'ListObjectsV2',
  access: listingAccess,
  async run(ctx) {
    const bucket = bucketOf(ctx);
    const params = commonParams(ctx);
    const continuationToken = ctx.query.get('continuation-token');
    const startAfter = ctx.query.get('start-after') ?? undefined;
    const fetchOwner = ctx.query.get('fetch-owner') === 'true';
    // The continuation token wins over start-after, which S3 then only echoes.
    const after = continuationToken !== null ? decodeContinuationToken(continuationToken) : (startAfter ?? '');
    requireBucket(ctx);
    const page = ctx.storage.meta.listObjects(bucket, { prefix: params.prefix, delimiter: params.delimiter, after, maxKeys: params.maxKeys });
    const enc = params.encode;
    const next = page.isTruncated && page.nextAfter !== undefined ? encodeContinuationToken(page.nextAfter) : undefined;
    const xml = xmlDocument(
      'ListBucketResult',
      el('Name', bucket) +
        el('Prefix', enc(params.prefix)) +
        el('ContinuationToken', continuationToken ?? undefined) +
        el('NextContinuationToken', next) +
        el('StartAfter', startAfter === undefined ? undefined : enc(startAfter)) +
        el('KeyCount', page.objects.length + page.commonPrefixes.length) +
        el('MaxKeys', params.maxKeys) +
        el('Delimiter', params.delimiter === '' ? undefined : enc(params.delimiter)) +
        el('EncodingType', params.encodingType) +
        el('IsTruncated', page.isTruncated) +
        entriesXml(page, enc, fetchOwner ? ownerOf(ctx.config) : undefined),
    );
    sendXml(ctx.res, xml);
  },
};

/**
 * v1: NextMarker only when a delimiter was given (without one, clients continue from the last
 * key, as S3 documents); every Contents carries its Owner.
 */
export const listObjects: Operation = {
  name: 'ListObjects',
  access: listingAccess,
  async run(ctx) {
    const bucket = bucketOf(ctx);
    const params = commonParams(ctx);
    const marker = ctx.query.get('marker') ?? '';
    requireBucket(ctx);
    const page = ctx.storage.meta.listObjects(bucket, { prefix: params.prefix, delimiter: params.delimiter, after: marker, maxKeys: params.maxKeys });
    const enc = params.encode;
    const nextMarker = page.isTruncated && params.delimiter !== '' ? page.nextAfter : undefined;
    const xml = xmlDocument(
      'ListBucketResult',
      el('Name', bucket) +
        el('Prefix', enc(params.prefix)) +
        el('Marker', enc(marker)) +
        el('NextMarker', nextMarker === undefined ? undefined : enc(nextMarker)) +
        el('MaxKeys', params.maxKeys) +
        el('Delimiter', params.delimiter === '' ? undefined : enc(params.delimiter)) +
        el('EncodingType', params.encodingType) +
        el('IsTruncated', page.isTruncated) +
        entriesXml(page, enc, ownerOf(ctx.config)),
    );
    sendXml(ctx.res, xml);
  },
};

interface CommonParams {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  encodingType?: 'url';
  encode: (text: string) => string;
}

function commonParams(ctx: Ctx): CommonParams {
  const encodingType = parseEncodingType(ctx.query);
  const maxKeys = parseMaxCount(ctx.query, 'max-keys') ?? MAX_LIST_KEYS;
  return {
    prefix: ctx.query.get('prefix') ?? '',
    delimiter: ctx.query.get('delimiter') ?? '',
    maxKeys: Math.min(maxKeys, MAX_LIST_KEYS),
    encodingType,
    encode: encodingType === 'url' ? urlEncodeKey : (text) => text,
  };
}

/** max-keys, max-uploads, max-parts: a whole number >= 0 (callers cap it at 1000). */
export function parseMaxCount(query: URLSearchParams, name: string): number | undefined {
  return integerParam(query, name, { min: 0, max: 2147483647, message: `Argument ${name} must be an integer between 0 and 2147483647` });
}

export function parseEncodingType(query: URLSearchParams): 'url' | undefined {
  const value = query.get('encoding-type');
  if (value === null) return undefined;
  if (value.toLowerCase() === 'url') return 'url';
  throw new S3Error('InvalidArgument', {
    message: 'Invalid Encoding Method specified in Request',
    elements: { ArgumentName: 'encoding-type', ArgumentValue: value },
  });
}

/**
 * encoding-type=url: percent-encoded UTF-8, '/' kept, space as %20 and '+' as %2B (s3-tests
 * test_bucket_listv2_encoding_basic expects "quux%20ab/" and "foo%2B1/"). Which of
 * !'()*~ S3 escapes is UNVERIFIED; RFC 3986's unreserved set is kept as is.
 */
export function urlEncodeKey(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');
}

/** Opaque to clients: the base64 of the key or common prefix to continue after. */
export function encodeContinuationToken(after: string): string {
  return Buffer.from(after, 'utf8').toString('base64');
}

export function decodeContinuationToken(token: string): string {
  const after = Buffer.from(token, 'base64').toString('utf8');
  if (after === '' || encodeContinuationToken(after) !== token) {
    throw new S3Error('InvalidArgument', {
      message: 'The continuation token provided is incorrect',
      elements: { ArgumentName: 'continuation-token', ArgumentValue: token },
    });
  }
  return after;
}

function entriesXml(page: ListObjectsPage, enc: (text: string) => string, owner: Owner | undefined): string {
  let xml = '';
  for (const object of page.objects) xml += contentsXml(object, enc, owner);
  for (const prefix of page.commonPrefixes) xml += elRaw('CommonPrefixes', el('Prefix', enc(prefix)));
  return xml;
}

function contentsXml(object: ObjectRecord, enc: (text: string) => string, owner: Owner | undefined): string {
  const checksum = object.metadata.checksum;
  return elRaw(
    'Contents',
    el('Key', enc(object.key)) +
      el('LastModified', object.lastModified) +
      el('ETag', object.etag) +
      (checksum ? el('ChecksumAlgorithm', checksum.algorithm) + el('ChecksumType', checksum.type) : '') +
      el('Size', object.size) +
      (owner ? ownerXml(owner) : '') +
      el('StorageClass', object.metadata.storageClass ?? 'STANDARD'),
  );
}
