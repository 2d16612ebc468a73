import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bucketName, s3Failure, startTestServer, type TestServer } from './harness.ts';

const contentMd5 = (body: string) => createHash('md5').update(body).digest('base64');

describe('operation dispatch, DeleteObjects and XML request bodies', () => {
  let s: TestServer;
  const bucket = bucketName('disp');
  beforeAll(async () => {
    s = await startTestServer();
    await s.client.send(new CreateBucketCommand({ Bucket: bucket }));
    await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'obj', Body: 'x' }));
  });
  afterAll(async () => {
    await s?.close();
  });

  describe('subresources signet does not implement -> 501 NotImplemented', () => {
    it.each([
      ['GET', '', 'policy'],
      ['PUT', '', 'policy'],
      ['GET', '', 'tagging'],
      ['GET', '', 'versioning'],
      ['PUT', '', 'versioning'],
      ['GET', '', 'website'],
      ['PUT', '', 'lifecycle'],
      ['GET', '', 'replication'],
      ['GET', '', 'object-lock'],
      ['GET', '', 'versions'],
      ['PUT', '', 'acl'],
      ['GET', '/obj', 'tagging'],
      ['PUT', '/obj', 'retention'],
      ['PUT', '/obj', 'acl'],
      ['POST', '/obj', 'restore'],
      ['GET', '/obj', 'attributes'],
    ])('%s /bucket%s?%s', async (method, keyPath, sub) => {
      const res = await s.signedFetch(method, `/${bucket}${keyPath}`, { query: { [sub]: '' }, body: method === 'PUT' || method === 'POST' ? '<x/>' : undefined });
      expect(res.status).toBe(501);
      expect(res.text).toContain('<Code>NotImplemented</Code>');
    });

    it('the object is untouched by a refused PUT ?acl', async () => {
      await s.signedFetch('PUT', `/${bucket}/obj`, { query: { acl: '' }, body: 'replaced?' });
      const head = await s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'obj' }));
      expect(head.ContentLength).toBe(1);
    });
  });

  it.each([
    ['POST', '/', 'SERVICE'],
    ['DELETE', '/', 'SERVICE'],
    ['POST', '/BUCKET/obj', 'OBJECT'],
    ['GET', '/BUCKET', 'BUCKET', { delete: '' }],
  ] as const)('%s %s -> 405 MethodNotAllowed', async (method, path, resourceType, query?: Record<string, string>) => {
    const res = await s.signedFetch(method, path.replace('BUCKET', bucket), { query });
    expect(res.status).toBe(405);
    expect(res.text).toContain('<Code>MethodNotAllowed</Code>');
    expect(res.text).toContain(`<ResourceType>${resourceType}</ResourceType>`);
  });

  it('two subresources at once -> 400 InvalidArgument', async () => {
    const res = await s.signedFetch('GET', `/${bucket}`, { query: { acl: '', policy: '' } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidArgument</Code>');
  });

  it('unknown query parameters that are not subresources are ignored', async () => {
    const res = await s.signedFetch('GET', `/${bucket}/obj`, { query: { 'x-id': 'GetObject', whatever: '1' } });
    expect(res.status).toBe(200);
    expect(res.text).toBe('x');
  });

  describe('DeleteObjects', () => {
    it('deletes the listed keys and reports each as Deleted, missing keys included', async () => {
      for (const key of ['d/1', 'd/2', 'd/3']) await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
      const blobOf = (key: string) => s.storage.meta.getObject(bucket, key)!.blobId;
      const [gone1, gone2, kept] = [blobOf('d/1'), blobOf('d/2'), blobOf('d/3')];
      const out = await s.client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'd/1' }, { Key: 'd/2' }, { Key: 'd/never' }] } }),
      );
      expect(out.Deleted!.map((d) => d.Key)).toEqual(['d/1', 'd/2', 'd/never']);
      expect(out.Errors).toBeUndefined();
      const left = await s.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'd/' }));
      expect(left.Contents!.map((c) => c.Key)).toEqual(['d/3']);
      // The deleted keys' bytes go once the delete is on disk; the others stay.
      await vi.waitFor(async () => {
        const onDisk = await s.storage.blobs.listBlobIds();
        expect([onDisk.includes(gone1), onDisk.includes(gone2), onDisk.includes(kept)]).toEqual([false, false, true]);
      });
    });

    it('Quiet mode reports nothing for successful deletes', async () => {
      await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'q', Body: 'x' }));
      const out = await s.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: 'q' }] } }));
      expect(out.Deleted).toBeUndefined();
      expect(out.Errors).toBeUndefined();
      expect((await s3Failure(s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'q' })))).status).toBe(404);
    });

    it('keys with XML special characters and surrounding spaces round-trip', async () => {
      const key = ' <a & "b"> ';
      await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
      const out = await s.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: key }] } }));
      expect(out.Deleted!.map((d) => d.Key)).toEqual([key]);
      expect((await s3Failure(s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })))).status).toBe(404);
    });

    it('a key the token may not write gets a per-key AccessDenied Error; the others are deleted', async () => {
      for (const key of ['team/a', 'other/b']) await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
      s.storage.meta.insertToken({
        accessKeyId: 'teamwriter',
        secretAccessKey: 'teamwriter-secret-1',
        name: 'team',
        access: 'read-write',
        buckets: [bucket],
        prefix: 'team/',
        expiresAt: null,
        revokedAt: null,
        createdAt: new Date().toISOString(),
        root: false,
      });
      const client = s.clientFor({ accessKeyId: 'teamwriter', secretAccessKey: 'teamwriter-secret-1' });
      const out = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'team/a' }, { Key: 'other/b' }] } }));
      expect(out.Deleted!.map((d) => d.Key)).toEqual(['team/a']);
      expect(out.Errors!.map((e) => [e.Key, e.Code])).toEqual([['other/b', 'AccessDenied']]);
      expect((await s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'other/b' }))).ContentLength).toBe(1);
    });

    it('more than 1000 keys -> 400 MalformedXML', async () => {
      const objects = Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` }));
      const f = await s3Failure(s.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } })));
      expect(f.name).toBe('MalformedXML');
      expect(f.status).toBe(400);
    });

    it.each([
      ['not XML at all', 'hello'],
      ['unclosed elements', '<Delete><Object><Key>a</Key></Object>'],
      ['the wrong root element', '<Remove><Object><Key>a</Key></Object></Remove>'],
      ['no objects', '<Delete><Quiet>true</Quiet></Delete>'],
      ['an object without a key', '<Delete><Object><VersionId>1</VersionId></Object></Delete>'],
      ['a DTD with an entity', '<!DOCTYPE d [<!ENTITY x "boom">]><Delete><Object><Key>&x;</Key></Object></Delete>'],
      ['an undefined entity', '<Delete><Object><Key>&nbsp;</Key></Object></Delete>'],
      ['an empty body', ''],
    ])('a body with %s -> 400 MalformedXML', async (_what, body) => {
      const res = await s.signedFetch('POST', `/${bucket}`, { query: { delete: '' }, body, headers: { 'content-md5': contentMd5(body) } });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>MalformedXML</Code>');
    });

    it('numeric character references in keys are decoded', async () => {
      await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'AB', Body: 'x' }));
      const body = '<Delete><Object><Key>&#65;&#x42;</Key></Object></Delete>';
      const res = await s.signedFetch('POST', `/${bucket}`, { query: { delete: '' }, body, headers: { 'content-md5': contentMd5(body) } });
      expect(res.status).toBe(200);
      expect(res.text).toContain('<Deleted><Key>AB</Key></Deleted>');
      expect((await s3Failure(s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'AB' })))).status).toBe(404);
    });

    it('without Content-MD5 or a checksum -> 400 InvalidRequest', async () => {
      const res = await s.signedFetch('POST', `/${bucket}`, { query: { delete: '' }, body: '<Delete><Object><Key>a</Key></Object></Delete>' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>InvalidRequest</Code>');
      expect(res.text).toContain('Missing required header for this request: Content-MD5');
    });

    it('a Content-MD5 that does not match the body -> 400 BadDigest, nothing deleted', async () => {
      await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept', Body: 'x' }));
      const res = await s.signedFetch('POST', `/${bucket}`, {
        query: { delete: '' },
        body: '<Delete><Object><Key>kept</Key></Object></Delete>',
        headers: { 'content-md5': contentMd5('something else') },
      });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>BadDigest</Code>');
      expect((await s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'kept' }))).ContentLength).toBe(1);
    });
  });

  describe('CompleteMultipartUpload bodies', () => {
    it.each([
      ['garbage', 'garbage'],
      ['no parts', '<CompleteMultipartUpload></CompleteMultipartUpload>'],
      ['a part without a number', '<CompleteMultipartUpload><Part><ETag>"x"</ETag></Part></CompleteMultipartUpload>'],
      ['a non-numeric part number', '<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>'],
    ])('%s -> 400 MalformedXML', async (_what, body) => {
      const up = await s.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu-xml' }));
      const res = await s.signedFetch('POST', `/${bucket}/mpu-xml`, { query: { uploadId: up.UploadId! }, body });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>MalformedXML</Code>');
    });

    it('an empty part list from the SDK -> 400 MalformedXML', async () => {
      const up = await s.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu-empty' }));
      await s.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'mpu-empty', UploadId: up.UploadId, PartNumber: 1, Body: 'x' }));
      const f = await s3Failure(
        s.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu-empty', UploadId: up.UploadId, MultipartUpload: { Parts: [] } })),
      );
      expect(f.name).toBe('MalformedXML');
    });
  });
});
