import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { resolveOperation, type RoutingContext } from '../../../src/http/operations/index.ts';
import { S3Error } from '../../../src/http/s3-errors.ts';

function route(method: string, bucket: string | undefined, key: string | undefined, query = '', headers: Record<string, string> = {}): RoutingContext {
  const h: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) h[name] = [value];
  return { req: { method } as Request, bucket, key, query: new URLSearchParams(query), headers: h };
}

const nameOf = (...args: Parameters<typeof route>) => resolveOperation(route(...args)).name;

function failureOf(...args: Parameters<typeof route>): string {
  try {
    resolveOperation(route(...args));
  } catch (err) {
    if (err instanceof S3Error) return `${err.status} ${err.code}`;
    throw err;
  }
  return 'resolved';
}

describe('resolveOperation', () => {
  it.each([
    ['GET', undefined, undefined, '', {}, 'ListBuckets'],
    ['GET', 'b', undefined, '', {}, 'ListObjects'],
    ['GET', 'b', undefined, 'list-type=2&prefix=a', {}, 'ListObjectsV2'],
    ['GET', 'b', undefined, 'location', {}, 'GetBucketLocation'],
    ['GET', 'b', undefined, 'uploads', {}, 'ListMultipartUploads'],
    ['GET', 'b', undefined, 'acl', {}, 'GetBucketAcl'],
    ['GET', 'b', undefined, 'cors', {}, 'GetBucketCors'],
    ['PUT', 'b', undefined, 'cors', {}, 'PutBucketCors'],
    ['DELETE', 'b', undefined, 'cors', {}, 'DeleteBucketCors'],
    ['HEAD', 'b', undefined, '', {}, 'HeadBucket'],
    ['PUT', 'b', undefined, '', {}, 'CreateBucket'],
    ['DELETE', 'b', undefined, '', {}, 'DeleteBucket'],
    ['POST', 'b', undefined, 'delete', {}, 'DeleteObjects'],
    ['POST', 'b', undefined, '', {}, 'PostObject'],
    ['GET', 'b', 'k', '', {}, 'GetObject'],
    ['GET', 'b', 'k', 'x-id=GetObject&response-content-type=a', {}, 'GetObject'],
    ['GET', 'b', 'k', 'acl', {}, 'GetObjectAcl'],
    ['GET', 'b', 'k', 'uploadId=u', {}, 'ListParts'],
    ['HEAD', 'b', 'k', '', {}, 'HeadObject'],
    ['HEAD', 'b', 'k', 'partNumber=1', {}, 'HeadObject'],
    ['PUT', 'b', 'k', '', {}, 'PutObject'],
    ['PUT', 'b', 'k', '', { 'x-amz-copy-source': 'b/src' }, 'CopyObject'],
    ['PUT', 'b', 'k', 'x-amz-copy-source=b%2Fsrc', {}, 'CopyObject'],
    ['PUT', 'b', 'k', 'partNumber=1&uploadId=u', {}, 'UploadPart'],
    ['PUT', 'b', 'k', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': 'b/src' }, 'UploadPartCopy'],
    ['DELETE', 'b', 'k', '', {}, 'DeleteObject'],
    ['DELETE', 'b', 'k', 'uploadId=u', {}, 'AbortMultipartUpload'],
    ['POST', 'b', 'k', 'uploads', {}, 'CreateMultipartUpload'],
    ['POST', 'b', 'k', 'uploadId=u', {}, 'CompleteMultipartUpload'],
  ] as const)('%s bucket=%s key=%s ?%s %o -> %s', (method, bucket, key, query, headers, expected) => {
    expect(nameOf(method, bucket, key, query, headers)).toBe(expected);
  });

  it.each([
    ['GET', 'b', undefined, 'policy', '501 NotImplemented'],
    ['GET', 'b', undefined, 'versioning', '501 NotImplemented'],
    ['PUT', 'b', undefined, 'tagging', '501 NotImplemented'],
    ['GET', 'b', undefined, 'object-lock', '501 NotImplemented'],
    ['PUT', 'b', 'k', 'tagging', '501 NotImplemented'],
    ['PUT', 'b', 'k', 'legal-hold', '501 NotImplemented'],
    ['POST', 'b', 'k', 'select&select-type=2', '501 NotImplemented'],
    ['POST', undefined, undefined, '', '405 MethodNotAllowed'],
    ['PUT', undefined, undefined, '', '405 MethodNotAllowed'],
    ['POST', 'b', 'k', '', '405 MethodNotAllowed'],
    ['GET', 'b', undefined, 'delete', '405 MethodNotAllowed'],
    ['PUT', 'b', undefined, 'location', '405 MethodNotAllowed'],
    ['PATCH', 'b', 'k', '', '405 MethodNotAllowed'],
    ['GET', 'b', undefined, 'acl&policy', '400 InvalidArgument'],
    ['GET', 'b', undefined, 'list-type=1', '400 InvalidArgument'],
  ] as const)('%s bucket=%s key=%s ?%s -> %s', (method, bucket, key, query, expected) => {
    expect(failureOf(method, bucket, key, query)).toBe(expected);
  });
});
