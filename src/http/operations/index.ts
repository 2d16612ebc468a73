/**
 * Which S3 operation a request is, decided from the method, whether the address names a
 * bucket and a key, and the subresource keys of the query (as s3rver's routes.js queryMethod
 * does):
 *
 *   service  GET /                         ListBuckets
 *   bucket   GET /B[?list-type=2|?location|?uploads|?acl|?cors], PUT|DELETE /B[?cors]
 *            HEAD /B, POST /B?delete, POST /B (browser POST upload, which the app handles first)
 *   object   GET|HEAD /B/K[?acl|?uploadId], PUT /B/K[?partNumber&uploadId][+x-amz-copy-source],
 *            DELETE /B/K[?uploadId], POST /B/K?uploads|?uploadId
 *
 * A subresource S3 knows and signet does not implement is 501 NotImplemented, never a silent
 * answer from another operation; a method that makes no sense on the resource is 405. HEAD
 * is always HeadBucket or HeadObject, whatever the query.
 * Query parameters that are not subresources (prefix, x-id, X-Amz-*, response-*…) are
 * ignored here, as S3 ignores unknown ones.
 */
import type { AccessRequest } from '../../access/types.ts';
import type { RequestContext } from '../context.ts';
import { S3Error } from '../s3-errors.ts';
import { bucketOf, type Ctx } from './common.ts';
import { deleteBucketCors, getBucketCors, putBucketCors } from './bucket-cors.ts';
import { createBucket, deleteBucket, getBucketAcl, getBucketLocation, headBucket, listBuckets } from './buckets.ts';
import { copyObject } from './copy-object.ts';
import { deleteObject, deleteObjects } from './delete-objects.ts';
import { getObject, getObjectAcl, headObject } from './get-object.ts';
import { listObjects, listObjectsV2 } from './list-objects.ts';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart.ts';
import { effectiveHeaders } from './object-metadata.ts';
import { putObject } from './put-object.ts';

export interface Operation {
  /** S3's operation name, e.g. 'GetObject' */
  name: string;
  /** What the token must be allowed to do; the app authorizes it before run. */
  access(ctx: RequestContext): AccessRequest;
  run(ctx: RequestContext): Promise<void>;
}

export type RoutingContext = Pick<RequestContext, 'req' | 'bucket' | 'key' | 'query' | 'headers'>;

/**
 * Browser POST upload (POST /BUCKET, multipart/form-data): authenticated by its form fields,
 * not by the request's headers. A placeholder until it is implemented.
 */
export const postObject: Operation = {
  name: 'PostObject',
  access: (ctx) => ({ action: 'write', bucket: bucketOf(ctx as Ctx) }),
  async run() {
    throw new S3Error('NotImplemented', { message: 'signet does not implement browser POST uploads yet.' });
  },
};

/** Bucket subresources S3 defines (its API reference), by the query key that names each. */
const BUCKET_SUBRESOURCES: Record<string, string> = {
  accelerate: 'BucketAccelerateConfiguration',
  acl: 'BucketAcl',
  analytics: 'BucketAnalyticsConfiguration',
  cors: 'BucketCors',
  delete: 'DeleteObjects',
  encryption: 'BucketEncryption',
  'intelligent-tiering': 'BucketIntelligentTieringConfiguration',
  inventory: 'BucketInventoryConfiguration',
  lifecycle: 'BucketLifecycleConfiguration',
  location: 'BucketLocation',
  logging: 'BucketLogging',
  metadataConfiguration: 'BucketMetadataConfiguration',
  metadataTable: 'BucketMetadataTableConfiguration',
  metrics: 'BucketMetricsConfiguration',
  notification: 'BucketNotificationConfiguration',
  'object-lock': 'ObjectLockConfiguration',
  ownershipControls: 'BucketOwnershipControls',
  policy: 'BucketPolicy',
  policyStatus: 'BucketPolicyStatus',
  publicAccessBlock: 'PublicAccessBlock',
  replication: 'BucketReplication',
  requestPayment: 'BucketRequestPayment',
  session: 'CreateSession',
  tagging: 'BucketTagging',
  uploads: 'MultipartUploads',
  versioning: 'BucketVersioning',
  versions: 'ObjectVersions',
  website: 'BucketWebsite',
};

const OBJECT_SUBRESOURCES: Record<string, string> = {
  acl: 'ObjectAcl',
  attributes: 'ObjectAttributes',
  'legal-hold': 'ObjectLegalHold',
  renameObject: 'RenameObject',
  restore: 'RestoreObject',
  retention: 'ObjectRetention',
  select: 'SelectObjectContent',
  tagging: 'ObjectTagging',
  torrent: 'ObjectTorrent',
  uploadId: 'MultipartUpload',
  uploads: 'MultipartUploads',
};

export function resolveOperation(ctx: RoutingContext): Operation {
  const method = ctx.req.method.toUpperCase();
  if (ctx.bucket === undefined) return serviceOperation(method);
  const sub = subresourceOf(ctx.query, ctx.key === undefined ? BUCKET_SUBRESOURCES : OBJECT_SUBRESOURCES);
  return ctx.key === undefined ? bucketOperation(method, sub, ctx) : objectOperation(method, sub, ctx);
}

function serviceOperation(method: string): Operation {
  if (method === 'GET') return listBuckets;
  throw methodNotAllowed(method, 'SERVICE');
}

/** bucket: [method][subresource or ''] */
function bucketOperation(method: string, sub: string, ctx: RoutingContext): Operation {
  if (method === 'HEAD') return headBucket;
  switch (`${method} ${sub}`) {
    case 'GET ':
      return listOperation(ctx.query);
    case 'GET location':
      return getBucketLocation;
    case 'GET uploads':
      return listMultipartUploads;
    case 'GET acl':
      return getBucketAcl;
    case 'GET cors':
      return getBucketCors;
    case 'PUT cors':
      return putBucketCors;
    case 'DELETE cors':
      return deleteBucketCors;
    case 'PUT ':
      return createBucket;
    case 'DELETE ':
      return deleteBucket;
    case 'POST delete':
      return deleteObjects;
    case 'POST ':
      return postObject;
  }
  if (sub === '' || sub === 'delete' || sub === 'location' || sub === 'uploads' || sub === 'cors') throw methodNotAllowed(method, 'BUCKET');
  throw notImplemented(method, sub, BUCKET_SUBRESOURCES[sub]!);
}

function listOperation(query: URLSearchParams): Operation {
  const listType = query.get('list-type');
  if (listType === null) return listObjects;
  if (listType === '2') return listObjectsV2;
  throw new S3Error('InvalidArgument', {
    message: 'Invalid List Type specified in Request',
    elements: { ArgumentName: 'list-type', ArgumentValue: listType },
  });
}

function objectOperation(method: string, sub: string, ctx: RoutingContext): Operation {
  if (method === 'HEAD') return headObject;
  const copy = effectiveHeaders(ctx)['x-amz-copy-source'] !== undefined;
  switch (`${method} ${sub}`) {
    case 'GET ':
      return getObject;
    case 'GET acl':
      return getObjectAcl;
    case 'GET uploadId':
      return listParts;
    case 'PUT ':
      return copy ? copyObject : putObject;
    case 'PUT uploadId':
      return copy ? uploadPartCopy : uploadPart;
    case 'DELETE ':
      return deleteObject;
    case 'DELETE uploadId':
      return abortMultipartUpload;
    case 'POST uploads':
      return createMultipartUpload;
    case 'POST uploadId':
      return completeMultipartUpload;
  }
  if (sub === '' || sub === 'uploadId' || sub === 'uploads') throw methodNotAllowed(method, 'OBJECT');
  throw notImplemented(method, sub, OBJECT_SUBRESOURCES[sub]!);
}

/**
 * The one subresource named in the query, or ''. Two at once cannot be one operation
 * (s3rver answers the same).
 */
function subresourceOf(query: URLSearchParams, known: Record<string, string>): string {
  const found = [...new Set([...query.keys()].filter((key) => Object.hasOwn(known, key)))];
  if (found.length > 1) {
    throw new S3Error('InvalidArgument', {
      message: `Conflicting query string parameters: ${found.join(', ')}`,
      elements: { ArgumentName: 'ResourceType', ArgumentValue: found.join(', ') },
    });
  }
  return found[0] ?? '';
}

function methodNotAllowed(method: string, resourceType: 'SERVICE' | 'BUCKET' | 'OBJECT'): S3Error {
  return new S3Error('MethodNotAllowed', { elements: { Method: method, ResourceType: resourceType } });
}

/** 'GET' + 'BucketPolicy' -> GetBucketPolicy; S3's NotImplemented, naming what is missing. */
function notImplemented(method: string, sub: string, resource: string): S3Error {
  const verb = { GET: 'Get', PUT: 'Put', DELETE: 'Delete', POST: 'Post' }[method] ?? method;
  return new S3Error('NotImplemented', {
    message: `signet does not implement ${verb}${resource} (the ?${sub} subresource).`,
  });
}
