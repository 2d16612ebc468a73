import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bucketName, s3Failure, startTestServer, type TestServer } from './harness.ts';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('PutObject, GetObject, HeadObject, DeleteObject', () => {
  let s: TestServer;
  const bucket = bucketName('obj');
  beforeAll(async () => {
    s = await startTestServer();
    await s.client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    await s?.close();
  });

  const put = (Key: string, Body: Buffer | string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
    s.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ...extra }));
  const get = (Key: string, extra: Partial<ConstructorParameters<typeof GetObjectCommand>[0]> = {}) =>
    s.client.send(new GetObjectCommand({ Bucket: bucket, Key, ...extra }));
  const bytesOf = async (out: Awaited<ReturnType<typeof get>>) => Buffer.from(await out.Body!.transformToByteArray());

  it('round-trips the exact bytes; the ETag is the quoted hex MD5', async () => {
    const body = randomBytes(200_001);
    const out = await put('bin/data', body);
    expect(out.ETag).toBe(`"${md5(body)}"`);
    const got = await get('bin/data');
    expect((await bytesOf(got)).equals(body)).toBe(true);
    expect(got.ETag).toBe(`"${md5(body)}"`);
    expect(got.ContentLength).toBe(body.length);
    expect(got.AcceptRanges).toBe('bytes');
  });

  it('an empty object round-trips', async () => {
    await put('empty', Buffer.alloc(0));
    const got = await get('empty');
    expect(got.ContentLength).toBe(0);
    expect((await bytesOf(got)).length).toBe(0);
    expect(got.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
  });

  it('keys with //, .., unicode, spaces and + are distinct keys stored verbatim', async () => {
    const keys = ['a//b', '../x', 'dir/./y', 'ünï/çødé 😀', 'plus+and space', '%41'];
    for (const [i, key] of keys.entries()) await put(key, `body-${i}`);
    for (const [i, key] of keys.entries()) expect((await bytesOf(await get(key))).toString()).toBe(`body-${i}`);
  });

  it('the CRC32 the SDK sends is answered on PUT and returned on GET only with checksum mode', async () => {
    const out = await put('crc', 'checksummed body');
    expect(out.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    const withMode = await get('crc', { ChecksumMode: 'ENABLED' });
    expect(withMode.ChecksumCRC32).toBe(out.ChecksumCRC32);
    expect(withMode.ChecksumType).toBe('FULL_OBJECT');
    await bytesOf(withMode);
    const raw = await s.signedFetch('GET', `/${bucket}/crc`);
    expect(raw.headers.get('x-amz-checksum-crc32')).toBeNull();
  });

  it('stores content headers and user metadata and returns them', async () => {
    await put('meta', 'x', {
      ContentType: 'text/plain; charset=utf-8',
      ContentDisposition: 'attachment; filename="a.txt"',
      ContentLanguage: 'fr',
      CacheControl: 'max-age=60',
      Expires: new Date('2030-01-02T03:04:05Z'),
      Metadata: { colour: 'blue', 'Mixed-Case': 'Value' },
    });
    const head = await s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta' }));
    expect(head.ContentType).toBe('text/plain; charset=utf-8');
    expect(head.ContentDisposition).toBe('attachment; filename="a.txt"');
    expect(head.ContentLanguage).toBe('fr');
    expect(head.CacheControl).toBe('max-age=60');
    expect(head.ExpiresString).toBe('Wed, 02 Jan 2030 03:04:05 GMT');
    expect(head.Metadata).toEqual({ colour: 'blue', 'mixed-case': 'Value' });
    expect(head.ContentLength).toBe(1);
    expect(head.StorageClass).toBeUndefined();
  });

  it('Content-Type defaults to binary/octet-stream when none is sent', async () => {
    const res = await s.signedFetch('PUT', `/${bucket}/no-type`, { body: 'abc' });
    expect(res.status).toBe(200);
    const head = await s.signedFetch('HEAD', `/${bucket}/no-type`);
    expect(head.headers.get('content-type')).toBe('binary/octet-stream');
  });

  it.each([
    ['gzip,aws-chunked', 'gzip'],
    ['aws-chunked, gzip', 'gzip'],
    ['gzip', 'gzip'],
  ])('Content-Encoding %s is stored as %s', async (sent, stored) => {
    const res = await s.signedFetch('PUT', `/${bucket}/enc`, { body: 'abc', headers: { 'content-encoding': sent } });
    expect(res.status).toBe(200);
    const head = await s.signedFetch('HEAD', `/${bucket}/enc`);
    expect(head.headers.get('content-encoding')).toBe(stored);
  });

  it('a storage class other than STANDARD is stored and shown; an unknown one -> 400 InvalidStorageClass', async () => {
    await put('ia', 'x', { StorageClass: 'STANDARD_IA' });
    expect((await s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ia' }))).StorageClass).toBe('STANDARD_IA');
    const f = await s3Failure(put('bad-class', 'x', { StorageClass: 'PLATINUM' as never }));
    expect(f.name).toBe('InvalidStorageClass');
    expect(f.status).toBe(400);
  });

  it('user metadata over 2 KB -> 400 MetadataTooLarge', async () => {
    const f = await s3Failure(put('big-meta', 'x', { Metadata: { a: 'v'.repeat(1100), b: 'w'.repeat(1000) } }));
    expect(f.name).toBe('MetadataTooLarge');
    expect(f.status).toBe(400);
    const ok = await put('ok-meta', 'x', { Metadata: { a: 'v'.repeat(2047) } });
    expect(ok.$metadata.httpStatusCode).toBe(200);
  });

  it('a key over 1024 bytes of UTF-8 -> 400 KeyTooLongError; exactly 1024 bytes is fine', async () => {
    const f = await s3Failure(put('é'.repeat(513), 'x'));
    expect(f.name).toBe('KeyTooLongError');
    expect(f.status).toBe(400);
    expect((await put('k'.repeat(1024), 'x')).$metadata.httpStatusCode).toBe(200);
  });

  it('non-ASCII metadata sent raw comes back as an RFC 2047 encoded-word', async () => {
    const res = await s.signedFetch('PUT', `/${bucket}/uni-meta`, { body: 'x', headers: { 'x-amz-meta-name': 'café' } });
    expect(res.status).toBe(200);
    const head = await s.signedFetch('HEAD', `/${bucket}/uni-meta`);
    expect(head.headers.get('x-amz-meta-name')).toBe(`=?UTF-8?B?${Buffer.from('café').toString('base64')}?=`);
  });

  it('an overwrite replaces the bytes and metadata', async () => {
    await put('over', 'first', { Metadata: { v: '1' } });
    await put('over', 'second!', { Metadata: { w: '2' } });
    const got = await get('over');
    expect((await bytesOf(got)).toString()).toBe('second!');
    expect(got.Metadata).toEqual({ w: '2' });
  });

  it('GetObject of a missing key -> 404 NoSuchKey with the Key element', async () => {
    const res = await s.signedFetch('GET', `/${bucket}/nope/x`);
    expect(res.status).toBe(404);
    expect(res.text).toContain('<Code>NoSuchKey</Code>');
    expect(res.text).toContain('<Key>nope/x</Key>');
    const f = await s3Failure(get('nope/x'));
    expect(f.name).toBe('NoSuchKey');
  });

  it('GetObject in a missing bucket -> 404 NoSuchBucket', async () => {
    const f = await s3Failure(s.client.send(new GetObjectCommand({ Bucket: bucketName('gone'), Key: 'k' })));
    expect(f.name).toBe('NoSuchBucket');
    expect(f.status).toBe(404);
  });

  it('HeadObject of a missing key -> 404 with no body', async () => {
    const res = await s.signedFetch('HEAD', `/${bucket}/nope`);
    expect(res.status).toBe(404);
    expect(res.body.length).toBe(0);
  });

  it('DeleteObject answers 204, also for a key that does not exist; the bytes go once the delete is on disk', async () => {
    await put('del', 'x');
    const { blobId } = s.storage.meta.getObject(bucket, 'del')!;
    expect((await s.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'del' }))).$metadata.httpStatusCode).toBe(204);
    expect((await s3Failure(get('del'))).name).toBe('NoSuchKey');
    expect((await s.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'del' }))).$metadata.httpStatusCode).toBe(204);
    await vi.waitFor(async () => expect(await s.storage.blobs.listBlobIds()).not.toContain(blobId));
  });

  it('GetObjectAcl answers FULL_CONTROL for the owner', async () => {
    await put('acl', 'x');
    const acl = await s.client.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'acl' }));
    expect(acl.Grants![0]!.Permission).toBe('FULL_CONTROL');
  });

  describe('Range', () => {
    const body = Buffer.from('0123456789abcdefghij');
    beforeAll(async () => {
      await put('range', body);
    });

    it.each([
      ['bytes=0-4', '01234', 'bytes 0-4/20'],
      ['bytes=15-', 'fghij', 'bytes 15-19/20'],
      ['bytes=-3', 'hij', 'bytes 17-19/20'],
      ['bytes=18-100', 'ij', 'bytes 18-19/20'],
      ['bytes=-50', '0123456789abcdefghij', 'bytes 0-19/20'],
    ])('%s -> 206 %s with Content-Range %s', async (range, expected, contentRange) => {
      const got = await get('range', { Range: range });
      expect(got.$metadata.httpStatusCode).toBe(206);
      expect(got.ContentRange).toBe(contentRange);
      expect(got.ContentLength).toBe(expected.length);
      expect((await bytesOf(got)).toString()).toBe(expected);
    });

    it('a range starting past the end -> 416 InvalidRange with RangeRequested and ActualObjectSize', async () => {
      const res = await s.signedFetch('GET', `/${bucket}/range`, { headers: { range: 'bytes=20-30' } });
      expect(res.status).toBe(416);
      expect(res.text).toContain('<Code>InvalidRange</Code>');
      expect(res.text).toContain('<RangeRequested>bytes=20-30</RangeRequested>');
      expect(res.text).toContain('<ActualObjectSize>20</ActualObjectSize>');
      const f = await s3Failure(get('range', { Range: 'bytes=20-30' }));
      expect(f.name).toBe('InvalidRange');
      expect(f.status).toBe(416);
    });

    it('any range on an empty object -> 416 InvalidRange', async () => {
      await put('empty-range', Buffer.alloc(0));
      expect((await s3Failure(get('empty-range', { Range: 'bytes=0-0' }))).status).toBe(416);
    });

    it.each(['bytes=0-1,4-5', 'bytes=5-3', 'items=0-1'])('%s is ignored: 200 with the whole object', async (range) => {
      const got = await get('range', { Range: range });
      expect(got.$metadata.httpStatusCode).toBe(200);
      expect(got.ContentRange).toBeUndefined();
      expect((await bytesOf(got)).equals(body)).toBe(true);
    });

    it('HEAD with a range answers 206 with Content-Range and the range length', async () => {
      const res = await s.signedFetch('HEAD', `/${bucket}/range`, { headers: { range: 'bytes=2-5' } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe('bytes 2-5/20');
      expect(res.headers.get('content-length')).toBe('4');
    });

    it('a ranged GET with checksum mode returns no checksum (it covers the whole object)', async () => {
      const got = await get('range', { Range: 'bytes=0-4', ChecksumMode: 'ENABLED' });
      expect(got.ChecksumCRC32).toBeUndefined();
      expect((await bytesOf(got)).toString()).toBe('01234');
    });
  });

  describe('conditional requests', () => {
    let etag: string;
    let lastModified: Date;
    beforeAll(async () => {
      etag = (await put('cond', 'conditional'))!.ETag!;
      lastModified = (await s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cond' }))).LastModified!;
    });
    const later = () => new Date(lastModified.getTime() + 60_000);
    const earlier = () => new Date(lastModified.getTime() - 60_000);

    it('If-Match with the ETag -> 200; with another -> 412 PreconditionFailed (Condition If-Match)', async () => {
      expect((await get('cond', { IfMatch: etag })).$metadata.httpStatusCode).toBe(200);
      const res = await s.signedFetch('GET', `/${bucket}/cond`, { headers: { 'if-match': '"0000"' } });
      expect(res.status).toBe(412);
      expect(res.text).toContain('<Code>PreconditionFailed</Code>');
      expect(res.text).toContain('<Condition>If-Match</Condition>');
      expect((await s3Failure(get('cond', { IfMatch: '"0000"' }))).name).toBe('PreconditionFailed');
    });

    it('If-None-Match with the ETag -> 304 with no body; with another -> 200', async () => {
      const res = await s.signedFetch('GET', `/${bucket}/cond`, { headers: { 'if-none-match': etag } });
      expect(res.status).toBe(304);
      expect(res.body.length).toBe(0);
      expect(res.headers.get('etag')).toBe(etag);
      expect((await get('cond', { IfNoneMatch: '"0000"' })).$metadata.httpStatusCode).toBe(200);
      expect((await s3Failure(get('cond', { IfNoneMatch: etag }))).status).toBe(304);
    });

    it('If-Modified-Since: not modified since -> 304; modified since -> 200', async () => {
      expect((await s3Failure(get('cond', { IfModifiedSince: later() }))).status).toBe(304);
      expect((await get('cond', { IfModifiedSince: earlier() })).$metadata.httpStatusCode).toBe(200);
    });

    it('If-Unmodified-Since: modified since -> 412; not modified since -> 200', async () => {
      const f = await s3Failure(get('cond', { IfUnmodifiedSince: earlier() }));
      expect(f.name).toBe('PreconditionFailed');
      expect(f.status).toBe(412);
      expect((await get('cond', { IfUnmodifiedSince: later() })).$metadata.httpStatusCode).toBe(200);
    });

    it('If-Match true wins over If-Unmodified-Since false -> 200', async () => {
      expect((await get('cond', { IfMatch: etag, IfUnmodifiedSince: earlier() })).$metadata.httpStatusCode).toBe(200);
    });

    it('If-None-Match false (the ETag matches) with If-Modified-Since true -> 304', async () => {
      expect((await s3Failure(get('cond', { IfNoneMatch: etag, IfModifiedSince: earlier() }))).status).toBe(304);
    });

    it('If-Match false and If-None-Match true -> 412 (failed If-Match is checked first)', async () => {
      const res = await s.signedFetch('GET', `/${bucket}/cond`, { headers: { 'if-match': '"0000"', 'if-none-match': etag } });
      expect(res.status).toBe(412);
    });

    it('HeadObject with a failed If-Match -> 412 with no body', async () => {
      const res = await s.signedFetch('HEAD', `/${bucket}/cond`, { headers: { 'if-match': '"0000"' } });
      expect(res.status).toBe(412);
      expect(res.body.length).toBe(0);
    });

    it('If-Match: * matches an existing object', async () => {
      expect((await get('cond', { IfMatch: '*' })).$metadata.httpStatusCode).toBe(200);
    });
  });

  describe('response-* overrides', () => {
    it('replace the stored headers in the answer', async () => {
      await put('override', 'x', { ContentType: 'text/plain' });
      const got = await get('override', {
        ResponseContentType: 'application/json',
        ResponseContentDisposition: 'attachment; filename="x.json"',
        ResponseCacheControl: 'no-cache',
        ResponseContentLanguage: 'de',
        ResponseContentEncoding: 'identity',
        ResponseExpires: new Date('2031-01-01T00:00:00Z'),
      });
      expect(got.ContentType).toBe('application/json');
      expect(got.ContentDisposition).toBe('attachment; filename="x.json"');
      expect(got.CacheControl).toBe('no-cache');
      expect(got.ContentLanguage).toBe('de');
      expect(got.ContentEncoding).toBe('identity');
      expect(got.ExpiresString).toBe('Wed, 01 Jan 2031 00:00:00 GMT');
    });

    it('a value outside ISO-8859-1 -> 400 InvalidArgument', async () => {
      await put('override2', 'x');
      const res = await s.signedFetch('GET', `/${bucket}/override2`, { query: { 'response-content-type': 'text/plain; name=日本' } });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>InvalidArgument</Code>');
      expect(res.text).toContain('<ArgumentName>response-content-type</ArgumentName>');
    });
  });

  it('a presigned PUT applies hoisted x-amz-meta-* and x-amz-storage-class, and ignores a hoisted checksum', async () => {
    const url = await getSignedUrl(
      s.client,
      new PutObjectCommand({ Bucket: bucket, Key: 'presigned', Metadata: { origin: 'url' }, StorageClass: 'STANDARD_IA' }),
      { expiresIn: 300 },
    );
    const query = new URL(url).searchParams;
    expect(query.get('x-amz-meta-origin')).toBe('url');
    const res = await fetch(url, { method: 'PUT', body: 'uploaded through a URL' });
    expect(res.status).toBe(200);
    const head = await s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'presigned' }));
    expect(head.Metadata).toEqual({ origin: 'url' });
    expect(head.StorageClass).toBe('STANDARD_IA');
    expect(head.ContentLength).toBe('uploaded through a URL'.length);
  });

  it('an object whose blob vanished (overwritten or deleted mid-request) answers 404 NoSuchKey, not 500', async () => {
    await put('vanishing', 'bytes');
    await s.storage.blobs.remove(s.storage.meta.getObject(bucket, 'vanishing')!.blobId);
    const f = await s3Failure(get('vanishing'));
    expect(f.name).toBe('NoSuchKey');
    expect(f.status).toBe(404);
  });

  it('a bucket deleted while an upload streams: 404 NoSuchBucket once the body ends, and its bytes are not kept', async () => {
    const doomed = bucketName('doomed');
    await s.client.send(new CreateBucketCommand({ Bucket: doomed }));
    const url = await getSignedUrl(s.client, new PutObjectCommand({ Bucket: doomed, Key: 'late' }), { expiresIn: 60 });
    const half = randomBytes(100 * 1024);
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(url, { method: 'PUT', headers: { 'content-length': String(2 * half.length) } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write(half);
      // The bucket existed when the request arrived; it goes while the body is on its way.
      setTimeout(() => {
        s.client.send(new DeleteBucketCommand({ Bucket: doomed })).then(() => req.end(half), reject);
      }, 100);
    });
    const { status, body } = await answer;
    expect(status).toBe(404);
    expect(body).toContain('<Code>NoSuchBucket</Code>');
    const referenced = s.storage.meta.referencedBlobIds();
    expect((await s.storage.blobs.listBlobIds()).filter((id) => !referenced.has(id))).toEqual([]);
  });

  /** Blob files (not fan-out directories, which the blob store keeps open) open in this process. */
  const blobFdsOpen = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(join(s.config.dataDir, 'blobs')) && /\/[0-9a-f]{32}$/.test(target);
      } catch {
        return false;
      }
    }).length;
  /** Polls up to 1 s: the reads stop, and the descriptor closes, once the connection is gone. */
  const expectNoBlobOpen = async () => {
    for (let i = 0; i < 50 && blobFdsOpen() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(blobFdsOpen()).toBe(0);
  };

  it('a client that disconnects mid-download does not break the server, and the blob is closed at once', async () => {
    const big = randomBytes(8 * 1024 * 1024);
    await put('big', big);
    const url = await getSignedUrl(s.client, new GetObjectCommand({ Bucket: bucket, Key: 'big' }), { expiresIn: 300 });
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(url, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err)));
      req.end();
    });
    // Checked before anything else runs: a leaked handle would otherwise be closed by a garbage
    // collection, and the leak missed.
    if (existsSync('/proc/self/fd')) await expectNoBlobOpen();
    const got = await get('big');
    expect((await bytesOf(got)).equals(big)).toBe(true);
  });

  it.skipIf(!existsSync('/proc/self/fd'))('two pipelined GETs whose client goes away: both downloads stop and close their blob', async () => {
    const big = randomBytes(8 * 1024 * 1024);
    await put('piped', big);
    const url = new URL(await getSignedUrl(s.client, new GetObjectCommand({ Bucket: bucket, Key: 'piped' }), { expiresIn: 300 }));
    const request = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`;
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write(request + request);
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.destroy();
    await expectNoBlobOpen();
  });

  it('a client that reads slowly gets every byte as stored (a buffer is reused only once the socket took it)', async () => {
    const big = randomBytes(16 * 1024 * 1024 + 3);
    await put('slow', big);
    const url = new URL(await getSignedUrl(s.client, new GetObjectCommand({ Bucket: bucket, Key: 'slow' }), { expiresIn: 300 }));
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
    // The socket's buffers fill while nobody reads: the server must wait, not overwrite.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.resume();
    await new Promise((resolve) => socket.once('end', resolve));
    const raw = Buffer.concat(chunks);
    const headEnd = raw.indexOf('\r\n\r\n');
    expect(raw.subarray(0, headEnd).toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(raw.subarray(headEnd + 4).equals(big)).toBe(true);
  });

  it('a large object comes back byte for byte, whole and as ranges longer than one 256 KiB read', async () => {
    const big = randomBytes(1024 * 1024 + 7);
    await put('large', big);
    expect((await bytesOf(await get('large'))).equals(big)).toBe(true);
    for (const [start, end] of [
      [100_000, 700_000],
      [262_143, 600_000],
      [0, 65_536],
      [big.length - 300_000, big.length - 1],
    ] as const) {
      const got = await get('large', { Range: `bytes=${start}-${end}` });
      expect(got.ContentRange).toBe(`bytes ${start}-${end}/${big.length}`);
      expect((await bytesOf(got)).equals(big.subarray(start, end + 1))).toBe(true);
    }
  });
});
