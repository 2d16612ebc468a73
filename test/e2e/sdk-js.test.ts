/**
 * The AWS SDK for JavaScript v3 at its default settings (CRC32 request checksums, aws-chunked
 * trailers for stream bodies, response checksum validation) against a spawned signet, both
 * path-style and virtual-hosted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { lookup as dnsLookup } from 'node:dns';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGION, ROOT_KEY, ROOT_SECRET, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

/** Resolves BUCKET.localhost to loopback, as browsers and curl do, whatever the system resolver says. */
const localhostAgent = new Agent({
  keepAlive: true,
  lookup: ((host: string, opts: object, cb: (...a: unknown[]) => void) =>
    host.endsWith('.localhost') ? dnsLookup('127.0.0.1', opts, cb as never) : dnsLookup(host, opts, cb as never)) as never,
});

describe('AWS SDK for JavaScript v3 (default settings)', () => {
  let s: SpawnedServer;
  let c: S3Client;
  beforeAll(async () => {
    s = await startSignet();
    c = new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, credentials: { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET } });
    await c.send(new CreateBucketCommand({ Bucket: 'sdk' }));
  });
  afterAll(async () => {
    await s.stop();
  });

  it('PutObject of a Buffer (CRC32 header by default) and GetObject with checksum validation round-trip the bytes', async () => {
    const body = randomBytes(300_000);
    const put = await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'buf.bin', Body: body }));
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(put.ChecksumCRC32).toBeDefined();
    const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'buf.bin', ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('PutObject of a stream (aws-chunked with a CRC32 trailer) stores exactly the decoded bytes', async () => {
    const body = randomBytes(1_000_000);
    const parts = [body.subarray(0, 123_457), body.subarray(123_457, 700_001), body.subarray(700_001)];
    await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'stream.bin', Body: Readable.from(parts), ContentLength: body.length }));
    const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'stream.bin' }));
    expect(got.ContentLength).toBe(body.length);
    expect(got.ContentEncoding).toBeUndefined();
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('Range GET answers 206 with exactly those bytes', async () => {
    const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'buf.bin', Range: 'bytes=10-19' }));
    expect(got.$metadata.httpStatusCode).toBe(206);
    expect(got.ContentRange).toBe('bytes 10-19/300000');
    const whole = await (await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'buf.bin' }))).Body!.transformToByteArray();
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(whole).subarray(10, 20))).toBe(true);
  });

  it('CopyObject, HeadObject, DeleteObject', async () => {
    await c.send(new CopyObjectCommand({ Bucket: 'sdk', Key: 'copy.bin', CopySource: 'sdk/buf.bin' }));
    const a = await c.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'buf.bin' }));
    const b = await c.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'copy.bin' }));
    expect(b.ETag).toBe(a.ETag);
    await c.send(new DeleteObjectCommand({ Bucket: 'sdk', Key: 'copy.bin' }));
    await expect(c.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'copy.bin' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('a multipart upload completes with the S3 multipart ETag and the concatenated bytes', async () => {
    const p1 = randomBytes(5 * 1024 * 1024);
    const p2 = randomBytes(1234);
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp.bin' }));
    const e1 = await c.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'mp.bin', UploadId, PartNumber: 1, Body: p1 }));
    const e2 = await c.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'mp.bin', UploadId, PartNumber: 2, Body: p2 }));
    const done = await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'sdk',
        Key: 'mp.bin',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] },
      }),
    );
    const md5 = (b: Buffer) => createHash('md5').update(b).digest();
    expect(done.ETag).toBe(`"${createHash('md5').update(Buffer.concat([md5(p1), md5(p2)])).digest('hex')}-2"`);
    const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'mp.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([p1, p2]))).toBe(true);
  });

  it('virtual-hosted style (BUCKET.localhost:PORT) works for writes, reads and listings', async () => {
    const v = new S3Client({
      endpoint: `http://localhost:${s.port}`,
      region: REGION,
      forcePathStyle: false,
      credentials: { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET },
      requestHandler: new NodeHttpHandler({ httpAgent: localhostAgent }),
    });
    await v.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'vhost/x y.txt', Body: 'virtual' }));
    const got = await v.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'vhost/x y.txt' }));
    expect(await got.Body!.transformToString()).toBe('virtual');
    const list = await v.send(new ListObjectsV2Command({ Bucket: 'sdk', Prefix: 'vhost/' }));
    expect(list.Contents?.map((o) => o.Key)).toEqual(['vhost/x y.txt']);
    // and the same object through path style
    const viaPath = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'vhost/x y.txt' }));
    expect(await viaPath.Body!.transformToString()).toBe('virtual');
  });

  it('a wrong secret: 403 SignatureDoesNotMatch with the server canonical request, string to sign and their bytes', async () => {
    const url = new URL(`${s.url}/sdk?list-type=2`);
    const signer = new SignatureV4({ service: 's3', region: REGION, sha256: Sha256, uriEscapePath: false, credentials: { accessKeyId: ROOT_KEY, secretAccessKey: 'wrong' } });
    const signed = await signer.sign({
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: { 'list-type': '2' },
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const res = await fetch(url, { headers: signed.headers as Record<string, string> });
    const text = await res.text();
    expect(res.status).toBe(403);
    expect(text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(text).toContain(`<AWSAccessKeyId>${ROOT_KEY}</AWSAccessKeyId>`);
    expect(text).toContain('<CanonicalRequest>GET\n/sdk\nlist-type=2\nhost:');
    expect(text).toMatch(/<StringToSign>AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n/);
    expect(text).toMatch(/<StringToSignBytes>41 57 53 34 2d /);
    expect(text).toMatch(/<CanonicalRequestBytes>47 45 54 0a /);
    expect(text).toContain(`<SignatureProvided>${/Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))![1]}</SignatureProvided>`);
  });
});
