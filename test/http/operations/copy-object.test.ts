import { createHash, randomBytes } from 'node:crypto';
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketName, s3Failure, startTestServer, type TestServer } from './harness.ts';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('CopyObject', () => {
  let s: TestServer;
  const src = bucketName('src');
  const dst = bucketName('dst');
  const body = randomBytes(70_000);
  let srcEtag: string;
  beforeAll(async () => {
    s = await startTestServer();
    await s.client.send(new CreateBucketCommand({ Bucket: src }));
    await s.client.send(new CreateBucketCommand({ Bucket: dst }));
    srcEtag = (
      await s.client.send(
        new PutObjectCommand({ Bucket: src, Key: 'dir/source file+1.bin', Body: body, ContentType: 'image/png', Metadata: { kept: 'yes' } }),
      )
    ).ETag!;
  });
  afterAll(async () => {
    await s?.close();
  });

  const source = `${src}/dir/source file+1.bin`;
  const bytes = async (Bucket: string, Key: string) =>
    Buffer.from(await (await s.client.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToByteArray());

  it('copies the bytes and (COPY, the default) the metadata; answers CopyObjectResult with ETag and LastModified', async () => {
    const out = await s.client.send(new CopyObjectCommand({ Bucket: dst, Key: 'copy', CopySource: encodeURI(source) }));
    expect(out.CopyObjectResult!.ETag).toBe(`"${md5(body)}"`);
    expect(out.CopyObjectResult!.ETag).toBe(srcEtag);
    expect(out.CopyObjectResult!.LastModified).toBeInstanceOf(Date);
    expect((await bytes(dst, 'copy')).equals(body)).toBe(true);
    const head = await s.client.send(new HeadObjectCommand({ Bucket: dst, Key: 'copy' }));
    expect(head.ContentType).toBe('image/png');
    expect(head.Metadata).toEqual({ kept: 'yes' });
  });

  it('accepts a fully URL-encoded source with a leading slash and ?versionId=null', async () => {
    const encoded = `/${src}/${encodeURIComponent('dir/source file+1.bin')}?versionId=null`;
    await s.client.send(new CopyObjectCommand({ Bucket: dst, Key: 'copy2', CopySource: encoded }));
    expect((await bytes(dst, 'copy2')).equals(body)).toBe(true);
  });

  it('REPLACE takes the metadata from the request', async () => {
    await s.client.send(
      new CopyObjectCommand({
        Bucket: dst,
        Key: 'replaced',
        CopySource: encodeURI(source),
        MetadataDirective: 'REPLACE',
        ContentType: 'text/plain',
        Metadata: { fresh: '1' },
      }),
    );
    const head = await s.client.send(new HeadObjectCommand({ Bucket: dst, Key: 'replaced' }));
    expect(head.ContentType).toBe('text/plain');
    expect(head.Metadata).toEqual({ fresh: '1' });
  });

  it('copying an object onto itself without REPLACE -> 400 InvalidRequest', async () => {
    const f = await s3Failure(s.client.send(new CopyObjectCommand({ Bucket: src, Key: 'dir/source file+1.bin', CopySource: encodeURI(source) })));
    expect(f.name).toBe('InvalidRequest');
    expect(f.status).toBe(400);
    expect((f.error as { message: string }).message).toMatch(/trying to copy an object to itself without changing the object's metadata/);
  });

  it('copying an object onto itself with REPLACE updates its metadata', async () => {
    await s.client.send(new PutObjectCommand({ Bucket: src, Key: 'self', Body: 'same', Metadata: { v: '1' } }));
    await s.client.send(
      new CopyObjectCommand({ Bucket: src, Key: 'self', CopySource: `${src}/self`, MetadataDirective: 'REPLACE', Metadata: { v: '2' } }),
    );
    const got = await s.client.send(new GetObjectCommand({ Bucket: src, Key: 'self' }));
    expect(got.Metadata).toEqual({ v: '2' });
    expect(await got.Body!.transformToString()).toBe('same');
  });

  it('a missing source key -> 404 NoSuchKey; a missing source bucket -> 404 NoSuchBucket', async () => {
    const k = await s3Failure(s.client.send(new CopyObjectCommand({ Bucket: dst, Key: 'x', CopySource: `${src}/nope` })));
    expect(k.name).toBe('NoSuchKey');
    expect(k.status).toBe(404);
    const b = await s3Failure(s.client.send(new CopyObjectCommand({ Bucket: dst, Key: 'x', CopySource: `${bucketName('gone')}/k` })));
    expect(b.name).toBe('NoSuchBucket');
  });

  it('a source without a key -> 400 InvalidArgument', async () => {
    const res = await s.signedFetch('PUT', `/${dst}/x`, { headers: { 'x-amz-copy-source': src } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidArgument</Code>');
  });

  it('an unknown metadata directive -> 400 InvalidArgument', async () => {
    const res = await s.signedFetch('PUT', `/${dst}/x`, { headers: { 'x-amz-copy-source': encodeURI(source), 'x-amz-metadata-directive': 'MERGE' } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<ArgumentName>x-amz-metadata-directive</ArgumentName>');
  });

  it('x-amz-copy-source-if-match with another ETag -> 412 PreconditionFailed; with the ETag -> copied', async () => {
    const f = await s3Failure(
      s.client.send(new CopyObjectCommand({ Bucket: dst, Key: 'cond', CopySource: encodeURI(source), CopySourceIfMatch: '"0000"' })),
    );
    expect(f.name).toBe('PreconditionFailed');
    expect(f.status).toBe(412);
    const ok = await s.client.send(new CopyObjectCommand({ Bucket: dst, Key: 'cond', CopySource: encodeURI(source), CopySourceIfMatch: srcEtag }));
    expect(ok.CopyObjectResult!.ETag).toBe(srcEtag);
  });

  it('x-amz-copy-source-if-none-match with the ETag -> 412 (a copy has no 304)', async () => {
    const res = await s.signedFetch('PUT', `/${dst}/cond2`, {
      headers: { 'x-amz-copy-source': encodeURI(source), 'x-amz-copy-source-if-none-match': srcEtag },
    });
    expect(res.status).toBe(412);
    expect(res.text).toContain('<Condition>x-amz-copy-source-If-None-Match</Condition>');
  });

  it('x-amz-copy-source-if-unmodified-since in the past -> 412; if-modified-since in the past -> copied', async () => {
    const past = new Date(Date.now() - 3_600_000);
    const f = await s3Failure(
      s.client.send(new CopyObjectCommand({ Bucket: dst, Key: 'cond3', CopySource: encodeURI(source), CopySourceIfUnmodifiedSince: past })),
    );
    expect(f.status).toBe(412);
    const ok = await s.client.send(new CopyObjectCommand({ Bucket: dst, Key: 'cond3', CopySource: encodeURI(source), CopySourceIfModifiedSince: past }));
    expect(ok.$metadata.httpStatusCode).toBe(200);
  });

  it('the token must be allowed to read the source: a token scoped to the destination bucket -> 403 AccessDenied', async () => {
    s.storage.meta.insertToken({
      accessKeyId: 'dstonlywriter',
      secretAccessKey: 'dstonlywriter-secret',
      name: 'dst-only',
      access: 'read-write',
      buckets: [dst],
      prefix: null,
      expiresAt: null,
      revokedAt: null,
      createdAt: new Date().toISOString(),
      root: false,
    });
    const client = s.clientFor({ accessKeyId: 'dstonlywriter', secretAccessKey: 'dstonlywriter-secret' });
    const f = await s3Failure(client.send(new CopyObjectCommand({ Bucket: dst, Key: 'stolen', CopySource: encodeURI(source) })));
    expect(f.name).toBe('AccessDenied');
    expect(f.status).toBe(403);
    expect((await s3Failure(s.client.send(new HeadObjectCommand({ Bucket: dst, Key: 'stolen' })))).status).toBe(404);
  });

  it('a storage class given with COPY changes it (and makes a self-copy legal)', async () => {
    await s.client.send(new PutObjectCommand({ Bucket: src, Key: 'sc', Body: 'x' }));
    await s.client.send(new CopyObjectCommand({ Bucket: src, Key: 'sc', CopySource: `${src}/sc`, StorageClass: 'GLACIER_IR' }));
    expect((await s.client.send(new HeadObjectCommand({ Bucket: src, Key: 'sc' }))).StorageClass).toBe('GLACIER_IR');
  });
});
