import { createHash } from 'node:crypto';
import { request } from 'node:http';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutObjectCommand,
  CreateMultipartUploadCommand,
  AbortMultipartUploadCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketName, s3Failure, startTestServer, type TestServer } from './harness.ts';

describe('bucket operations (us-east-1)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('CreateBucket answers 200 with Location /BUCKET and the bucket then exists', async () => {
    const name = bucketName();
    const out = await s.client.send(new CreateBucketCommand({ Bucket: name }));
    expect(out.Location).toBe(`/${name}`);
    const head = await s.client.send(new HeadBucketCommand({ Bucket: name }));
    expect(head.$metadata.httpStatusCode).toBe(200);
    expect(head.BucketRegion).toBe('us-east-1');
  });

  it.each([
    ['ab', 'too short'],
    ['a'.repeat(64), 'too long'],
    ['-starts-with-dash', 'bad first character'],
    ['ends-with-dash-', 'bad last character'],
    ['two..dots', 'adjacent periods'],
    ['192.168.5.4', 'an IP address'],
    ['xn--punycode', 'xn-- prefix'],
    ['name-s3alias', '-s3alias suffix'],
  ])('CreateBucket %s (%s) -> 400 InvalidBucketName', async (name) => {
    const f = await s3Failure(s.client.send(new CreateBucketCommand({ Bucket: name })));
    expect(f.name).toBe('InvalidBucketName');
    expect(f.status).toBe(400);
  });

  it('CreateBucket with an upper-case name -> 400 InvalidBucketName (sent raw: the SDK refuses to)', async () => {
    const res = await s.signedFetch('PUT', '/UpperCase');
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidBucketName</Code>');
    expect(res.text).toContain('<BucketName>UpperCase</BucketName>');
  });

  it('re-creating an owned bucket in us-east-1 answers 200, as S3 does there', async () => {
    const name = bucketName();
    await s.client.send(new CreateBucketCommand({ Bucket: name }));
    const again = await s.client.send(new CreateBucketCommand({ Bucket: name }));
    expect(again.$metadata.httpStatusCode).toBe(200);
  });

  it("LocationConstraint 'us-east-1' on us-east-1 -> 400 InvalidLocationConstraint", async () => {
    const f = await s3Failure(
      s.client.send(new CreateBucketCommand({ Bucket: bucketName(), CreateBucketConfiguration: { LocationConstraint: 'us-east-1' as never } })),
    );
    expect(f.name).toBe('InvalidLocationConstraint');
    expect(f.status).toBe(400);
  });

  it('LocationConstraint of another region -> 400 IllegalLocationConstraintException', async () => {
    const f = await s3Failure(
      s.client.send(new CreateBucketCommand({ Bucket: bucketName(), CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
    );
    expect(f.name).toBe('IllegalLocationConstraintException');
    expect(f.status).toBe(400);
  });

  it('a malformed CreateBucketConfiguration body -> 400 MalformedXML', async () => {
    const res = await s.signedFetch('PUT', `/${bucketName()}`, { body: '<CreateBucketConfiguration><LocationConstraint>' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>MalformedXML</Code>');
  });

  it('HeadBucket on a missing bucket -> 404 with no body', async () => {
    const f = await s3Failure(s.client.send(new HeadBucketCommand({ Bucket: bucketName('missing') })));
    expect(f.status).toBe(404);
    const raw = await s.signedFetch('HEAD', `/${bucketName('missing')}`);
    expect(raw.status).toBe(404);
    expect(raw.body.length).toBe(0);
  });

  it('DeleteBucket answers 204; a missing bucket -> 404 NoSuchBucket with BucketName', async () => {
    const name = bucketName();
    await s.client.send(new CreateBucketCommand({ Bucket: name }));
    const out = await s.client.send(new DeleteBucketCommand({ Bucket: name }));
    expect(out.$metadata.httpStatusCode).toBe(204);
    const f = await s3Failure(s.client.send(new DeleteBucketCommand({ Bucket: name })));
    expect(f.name).toBe('NoSuchBucket');
    expect(f.status).toBe(404);
    expect(f.error.BucketName).toBe(name);
  });

  it('DeleteBucket with an object in it -> 409 BucketNotEmpty', async () => {
    const name = bucketName();
    await s.client.send(new CreateBucketCommand({ Bucket: name }));
    await s.client.send(new PutObjectCommand({ Bucket: name, Key: 'k', Body: 'x' }));
    const f = await s3Failure(s.client.send(new DeleteBucketCommand({ Bucket: name })));
    expect(f.name).toBe('BucketNotEmpty');
    expect(f.status).toBe(409);
  });

  it('DeleteBucket with only a multipart upload in progress -> 409 BucketNotEmpty, then 204 after the abort', async () => {
    const name = bucketName();
    await s.client.send(new CreateBucketCommand({ Bucket: name }));
    const up = await s.client.send(new CreateMultipartUploadCommand({ Bucket: name, Key: 'k' }));
    const f = await s3Failure(s.client.send(new DeleteBucketCommand({ Bucket: name })));
    expect(f.name).toBe('BucketNotEmpty');
    await s.client.send(new AbortMultipartUploadCommand({ Bucket: name, Key: 'k', UploadId: up.UploadId }));
    expect((await s.client.send(new DeleteBucketCommand({ Bucket: name }))).$metadata.httpStatusCode).toBe(204);
  });

  it('GetBucketLocation is an empty LocationConstraint for us-east-1', async () => {
    const name = bucketName();
    await s.client.send(new CreateBucketCommand({ Bucket: name }));
    const raw = await s.signedFetch('GET', `/${name}`, { query: { location: '' } });
    expect(raw.status).toBe(200);
    expect(raw.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>',
    );
    const out = await s.client.send(new GetBucketLocationCommand({ Bucket: name }));
    expect(out.LocationConstraint ?? '').toBe('');
  });

  it('GetBucketAcl answers the owner with FULL_CONTROL', async () => {
    const name = bucketName();
    await s.client.send(new CreateBucketCommand({ Bucket: name }));
    const acl = await s.client.send(new GetBucketAclCommand({ Bucket: name }));
    expect(acl.Grants).toHaveLength(1);
    expect(acl.Grants![0]!.Permission).toBe('FULL_CONTROL');
    expect(acl.Grants![0]!.Grantee!.ID).toBe(acl.Owner!.ID);
    expect(acl.Owner!.ID).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ListBuckets lists every bucket with its creation date, for the root token', async () => {
    const name = bucketName();
    const before = Date.now();
    await s.client.send(new CreateBucketCommand({ Bucket: name }));
    const out = await s.client.send(new ListBucketsCommand({}));
    const mine = out.Buckets!.find((b) => b.Name === name);
    expect(mine).toBeDefined();
    expect(mine!.CreationDate!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(out.Owner!.ID).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ListBuckets for a token limited to some buckets lists only those', async () => {
    const a = bucketName('tok');
    const b = bucketName('tok');
    await s.client.send(new CreateBucketCommand({ Bucket: a }));
    await s.client.send(new CreateBucketCommand({ Bucket: b }));
    s.storage.meta.insertToken({
      accessKeyId: 'scopedlister',
      secretAccessKey: 'scopedlister-secret-123',
      name: 'lister',
      access: 'read',
      buckets: [b],
      prefix: null,
      expiresAt: null,
      revokedAt: null,
      createdAt: new Date().toISOString(),
      root: false,
    });
    const client = s.clientFor({ accessKeyId: 'scopedlister', secretAccessKey: 'scopedlister-secret-123' });
    const out = await client.send(new ListBucketsCommand({}));
    expect(out.Buckets!.map((x) => x.Name)).toEqual([b]);
  });

  it('ListBuckets pages with max-buckets and continuation-token', async () => {
    const names = [bucketName('page'), bucketName('page'), bucketName('page')];
    for (const n of names) await s.client.send(new CreateBucketCommand({ Bucket: n }));
    const prefix = names[0]!.slice(0, names[0]!.lastIndexOf('-') + 1);
    const first = await s.client.send(new ListBucketsCommand({ Prefix: prefix, MaxBuckets: 2 }));
    expect(first.Buckets!.map((b) => b.Name)).toEqual(names.slice(0, 2).sort());
    expect(first.ContinuationToken).toBeDefined();
    const second = await s.client.send(new ListBucketsCommand({ Prefix: prefix, MaxBuckets: 2, ContinuationToken: first.ContinuationToken }));
    expect(second.Buckets!.map((b) => b.Name)).toEqual(names.slice(2));
    expect(second.ContinuationToken).toBeUndefined();
  });

  describe('bucket CORS', () => {
    it('GetBucketCors without a configuration -> 404 NoSuchCORSConfiguration', async () => {
      const name = bucketName();
      await s.client.send(new CreateBucketCommand({ Bucket: name }));
      const f = await s3Failure(s.client.send(new GetBucketCorsCommand({ Bucket: name })));
      expect(f.name).toBe('NoSuchCORSConfiguration');
      expect(f.status).toBe(404);
    });

    it('PutBucketCors stores the rules, GetBucketCors returns them, DeleteBucketCors removes them (204)', async () => {
      const name = bucketName();
      await s.client.send(new CreateBucketCommand({ Bucket: name }));
      const rule = { AllowedOrigins: ['https://app.example'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 };
      await s.client.send(new PutBucketCorsCommand({ Bucket: name, CORSConfiguration: { CORSRules: [rule] } }));
      const got = await s.client.send(new GetBucketCorsCommand({ Bucket: name }));
      expect(got.CORSRules).toEqual([rule]);
      const del = await s.client.send(new DeleteBucketCorsCommand({ Bucket: name }));
      expect(del.$metadata.httpStatusCode).toBe(204);
      expect((await s3Failure(s.client.send(new GetBucketCorsCommand({ Bucket: name })))).name).toBe('NoSuchCORSConfiguration');
    });

    it('PutBucketCors with a method S3 does not allow -> 400 InvalidRequest', async () => {
      const name = bucketName();
      await s.client.send(new CreateBucketCommand({ Bucket: name }));
      const f = await s3Failure(
        s.client.send(new PutBucketCorsCommand({ Bucket: name, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] } })),
      );
      expect(f.name).toBe('InvalidRequest');
    });

    it('PutBucketCors to a bucket deleted while its body was on the way -> 404 NoSuchBucket, not a 200 that stored nothing', async () => {
      const name = bucketName();
      await s.client.send(new CreateBucketCommand({ Bucket: name }));
      const body = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>';
      const { url, headers } = await s.signRequest('PUT', `/${name}`, { query: { cors: '' }, body, headers: { 'content-md5': createHash('md5').update(body).digest('base64') } });
      // Expect: 100-continue: signet sends 100 once the operation reads the body, so after it
      // found the bucket; the bucket is deleted then, before the body goes.
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(url, { method: 'PUT', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), expect: '100-continue' } });
        req.on('continue', () => {
          expect(s.storage.meta.deleteBucket(name)).toBe('deleted');
          req.end(body);
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
      expect(answer.status).toBe(404);
      expect(answer.text).toContain('<Code>NoSuchBucket</Code>');
    });

    it('PutBucketCors with a body that is not a CORSConfiguration -> 400 MalformedXML', async () => {
      const name = bucketName();
      await s.client.send(new CreateBucketCommand({ Bucket: name }));
      const body = '<NotCors/>';
      const res = await s.signedFetch('PUT', `/${name}`, { query: { cors: '' }, body, headers: { 'content-md5': createHash('md5').update(body).digest('base64') } });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>MalformedXML</Code>');
    });
  });
});

describe('bucket operations outside us-east-1', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ region: 'eu-west-1' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('re-creating an owned bucket -> 409 BucketAlreadyOwnedByYou', async () => {
    const name = bucketName();
    await s.client.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const f = await s3Failure(s.client.send(new CreateBucketCommand({ Bucket: name })));
    expect(f.name).toBe('BucketAlreadyOwnedByYou');
    expect(f.status).toBe(409);
  });

  it('GetBucketLocation names the region', async () => {
    const name = bucketName();
    await s.client.send(new CreateBucketCommand({ Bucket: name }));
    const out = await s.client.send(new GetBucketLocationCommand({ Bucket: name }));
    expect(out.LocationConstraint).toBe('eu-west-1');
  });
});
