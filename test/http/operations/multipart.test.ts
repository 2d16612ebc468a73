import { createHash, randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketName, s3Failure, startTestServer, type TestServer } from './harness.ts';

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest();

/** The multipart ETag, computed independently: MD5 of the parts' binary MD5s, then -N. */
function multipartEtag(parts: Buffer[]): string {
  return `"${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-${parts.length}"`;
}

describe('multipart uploads', () => {
  let s: TestServer;
  const bucket = bucketName('mpu');
  const part1 = randomBytes(5 * MiB);
  const part2 = randomBytes(1234);
  beforeAll(async () => {
    s = await startTestServer();
    await s.client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    await s?.close();
  });

  const create = (Key: string, extra: Partial<ConstructorParameters<typeof CreateMultipartUploadCommand>[0]> = {}) =>
    s.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, ...extra }));
  const upload = async (Key: string, UploadId: string, PartNumber: number, Body: Buffer) =>
    (await s.client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body }))).ETag!;
  const complete = (Key: string, UploadId: string, Parts: { PartNumber: number; ETag: string }[]) =>
    s.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts } }));

  it('create, upload two parts, complete: exact bytes, multipart ETag, metadata from create, parts gone', async () => {
    const up = await create('big/file.bin', { ContentType: 'application/x-test', Metadata: { who: 'mpu' } });
    expect(up.Bucket).toBe(bucket);
    expect(up.Key).toBe('big/file.bin');
    expect(up.UploadId).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const e1 = await upload('big/file.bin', up.UploadId!, 1, part1);
    const e2 = await upload('big/file.bin', up.UploadId!, 2, part2);
    expect(e1).toBe(`"${md5(part1).toString('hex')}"`);
    const done = await complete('big/file.bin', up.UploadId!, [
      { PartNumber: 1, ETag: e1 },
      { PartNumber: 2, ETag: e2 },
    ]);
    expect(done.ETag).toBe(multipartEtag([part1, part2]));
    expect(done.Bucket).toBe(bucket);
    expect(done.Key).toBe('big/file.bin');
    expect(done.Location).toBe(`${s.endpoint}/${bucket}/big/file.bin`);
    const got = await s.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/file.bin' }));
    expect(got.ETag).toBe(done.ETag);
    expect(got.ContentType).toBe('application/x-test');
    expect(got.Metadata).toEqual({ who: 'mpu' });
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([part1, part2]))).toBe(true);
    const f = await s3Failure(s.client.send(new ListPartsCommand({ Bucket: bucket, Key: 'big/file.bin', UploadId: up.UploadId })));
    expect(f.name).toBe('NoSuchUpload');
    expect(f.status).toBe(404);
  });

  it('GetObject ?partNumber=N returns that part with 206 and x-amz-mp-parts-count', async () => {
    const got = await s.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/file.bin', PartNumber: 2 }));
    expect(got.$metadata.httpStatusCode).toBe(206);
    expect(got.PartsCount).toBe(2);
    expect(got.ContentRange).toBe(`bytes ${part1.length}-${part1.length + part2.length - 1}/${part1.length + part2.length}`);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(part2)).toBe(true);
    const f = await s3Failure(s.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/file.bin', PartNumber: 3 })));
    expect(f.status).toBe(416);
    expect(f.name).toBe('InvalidPartNumber');
  });

  it('uploading a part number again replaces the part', async () => {
    const up = await create('replace');
    await upload('replace', up.UploadId!, 1, Buffer.from('old part'));
    const e = await upload('replace', up.UploadId!, 1, Buffer.from('new part!'));
    await complete('replace', up.UploadId!, [{ PartNumber: 1, ETag: e }]);
    const got = await s.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'replace' }));
    expect(await got.Body!.transformToString()).toBe('new part!');
  });

  it('parts out of order -> 400 InvalidPartOrder', async () => {
    const up = await create('order');
    const e1 = await upload('order', up.UploadId!, 1, part1);
    const e2 = await upload('order', up.UploadId!, 2, part2);
    const f = await s3Failure(
      complete('order', up.UploadId!, [
        { PartNumber: 2, ETag: e2 },
        { PartNumber: 1, ETag: e1 },
      ]),
    );
    expect(f.name).toBe('InvalidPartOrder');
    expect(f.status).toBe(400);
  });

  it('a part never uploaded, or a wrong ETag -> 400 InvalidPart', async () => {
    const up = await create('missing-part');
    const e1 = await upload('missing-part', up.UploadId!, 1, part2);
    const missing = await s3Failure(complete('missing-part', up.UploadId!, [{ PartNumber: 2, ETag: e1 }]));
    expect(missing.name).toBe('InvalidPart');
    const wrong = await s3Failure(complete('missing-part', up.UploadId!, [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]));
    expect(wrong.name).toBe('InvalidPart');
    expect(wrong.status).toBe(400);
  });

  it('a part other than the last under 5 MiB -> 400 EntityTooSmall', async () => {
    const up = await create('small');
    const e1 = await upload('small', up.UploadId!, 1, Buffer.alloc(5 * MiB - 1, 1));
    const e2 = await upload('small', up.UploadId!, 2, part2);
    const f = await s3Failure(
      complete('small', up.UploadId!, [
        { PartNumber: 1, ETag: e1 },
        { PartNumber: 2, ETag: e2 },
      ]),
    );
    expect(f.name).toBe('EntityTooSmall');
    expect(f.status).toBe(400);
  });

  it('a subset of the uploaded parts may be completed; unused parts are discarded', async () => {
    const up = await create('subset');
    const e1 = await upload('subset', up.UploadId!, 1, part1);
    await upload('subset', up.UploadId!, 2, part2);
    const e3 = await upload('subset', up.UploadId!, 3, Buffer.from('tail'));
    const done = await complete('subset', up.UploadId!, [
      { PartNumber: 1, ETag: e1 },
      { PartNumber: 3, ETag: e3 },
    ]);
    expect(done.ETag).toBe(multipartEtag([part1, Buffer.from('tail')]));
    const head = await s.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'subset' }));
    expect(head.ContentLength).toBe(part1.length + 4);
  });

  it('part numbers outside 1-10000 -> 400 InvalidArgument', async () => {
    const up = await create('numbers');
    for (const n of ['0', '10001', 'x']) {
      const res = await s.signedFetch('PUT', `/${bucket}/numbers`, { query: { partNumber: n, uploadId: up.UploadId! }, body: 'x' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>InvalidArgument</Code>');
      expect(res.text).toContain('<ArgumentName>partNumber</ArgumentName>');
    }
  });

  it('an unknown upload id -> 404 NoSuchUpload with the UploadId element', async () => {
    const res = await s.signedFetch('PUT', `/${bucket}/k`, { query: { partNumber: '1', uploadId: 'no-such-upload' }, body: 'x' });
    expect(res.status).toBe(404);
    expect(res.text).toContain('<Code>NoSuchUpload</Code>');
    expect(res.text).toContain('<UploadId>no-such-upload</UploadId>');
  });

  it('an upload id used with another key -> 404 NoSuchUpload', async () => {
    const up = await create('owner-key');
    const f = await s3Failure(s.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'other-key', UploadId: up.UploadId, PartNumber: 1, Body: 'x' })));
    expect(f.name).toBe('NoSuchUpload');
  });

  it('AbortMultipartUpload answers 204 and the upload is gone', async () => {
    const up = await create('abort');
    await upload('abort', up.UploadId!, 1, Buffer.from('x'));
    const out = await s.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'abort', UploadId: up.UploadId }));
    expect(out.$metadata.httpStatusCode).toBe(204);
    const f = await s3Failure(upload('abort', up.UploadId!, 2, Buffer.from('y')));
    expect(f.name).toBe('NoSuchUpload');
    expect((await s3Failure(s.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'abort', UploadId: up.UploadId })))).status).toBe(404);
  });

  it('ListParts lists parts in order with sizes and ETags, paged by max-parts', async () => {
    const up = await create('listing');
    const bodies = [Buffer.from('one'), Buffer.from('three!'), Buffer.from('two')];
    const e = [await upload('listing', up.UploadId!, 1, bodies[0]!), await upload('listing', up.UploadId!, 3, bodies[1]!), await upload('listing', up.UploadId!, 2, bodies[2]!)];
    const first = await s.client.send(new ListPartsCommand({ Bucket: bucket, Key: 'listing', UploadId: up.UploadId, MaxParts: 2 }));
    expect(first.Parts!.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 3, e[0]],
      [2, 3, e[2]],
    ]);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextPartNumberMarker).toBe('2');
    const second = await s.client.send(
      new ListPartsCommand({ Bucket: bucket, Key: 'listing', UploadId: up.UploadId, PartNumberMarker: first.NextPartNumberMarker }),
    );
    expect(second.Parts!.map((p) => p.PartNumber)).toEqual([3]);
    expect(second.IsTruncated).toBe(false);
  });

  it('ListMultipartUploads lists uploads in progress, with prefix and delimiter', async () => {
    const other = bucketName('mpu-list');
    await s.client.send(new CreateBucketCommand({ Bucket: other }));
    const ids: Record<string, string> = {};
    for (const key of ['x/1', 'x/2', 'y/1', 'z']) ids[key] = (await s.client.send(new CreateMultipartUploadCommand({ Bucket: other, Key: key }))).UploadId!;
    const all = await s.client.send(new ListMultipartUploadsCommand({ Bucket: other }));
    expect(all.Uploads!.map((u) => [u.Key, u.UploadId])).toEqual(Object.entries(ids));
    const grouped = await s.client.send(new ListMultipartUploadsCommand({ Bucket: other, Delimiter: '/' }));
    expect(grouped.CommonPrefixes!.map((p) => p.Prefix)).toEqual(['x/', 'y/']);
    expect(grouped.Uploads!.map((u) => u.Key)).toEqual(['z']);
    const paged = await s.client.send(new ListMultipartUploadsCommand({ Bucket: other, MaxUploads: 2 }));
    expect(paged.IsTruncated).toBe(true);
    expect(paged.NextKeyMarker).toBe('x/2');
    expect(paged.NextUploadIdMarker).toBe(ids['x/2']);
    const rest = await s.client.send(
      new ListMultipartUploadsCommand({ Bucket: other, KeyMarker: paged.NextKeyMarker, UploadIdMarker: paged.NextUploadIdMarker }),
    );
    expect(rest.Uploads!.map((u) => u.Key)).toEqual(['y/1', 'z']);
  });

  it('UploadPartCopy copies a byte range of an object into a part', async () => {
    const source = randomBytes(6 * MiB);
    await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-source', Body: source }));
    const up = await create('from-copy');
    const c1 = await s.client.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: 'from-copy',
        UploadId: up.UploadId,
        PartNumber: 1,
        CopySource: `${bucket}/copy-source`,
        CopySourceRange: `bytes=0-${5 * MiB - 1}`,
      }),
    );
    const c2 = await s.client.send(
      new UploadPartCopyCommand({ Bucket: bucket, Key: 'from-copy', UploadId: up.UploadId, PartNumber: 2, CopySource: `${bucket}/copy-source`, CopySourceRange: `bytes=${5 * MiB}-${6 * MiB - 1}` }),
    );
    expect(c1.CopyPartResult!.ETag).toBe(`"${md5(source.subarray(0, 5 * MiB)).toString('hex')}"`);
    const done = await complete('from-copy', up.UploadId!, [
      { PartNumber: 1, ETag: c1.CopyPartResult!.ETag! },
      { PartNumber: 2, ETag: c2.CopyPartResult!.ETag! },
    ]);
    expect(done.ETag).toBe(multipartEtag([source.subarray(0, 5 * MiB), source.subarray(5 * MiB)]));
    const got = await s.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'from-copy' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(source)).toBe(true);
  });

  it('UploadPartCopy with a range past the source -> 400 InvalidArgument', async () => {
    await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'tiny-source', Body: 'abc' }));
    const up = await create('bad-range');
    const f = await s3Failure(
      s.client.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: 'bad-range', UploadId: up.UploadId, PartNumber: 1, CopySource: `${bucket}/tiny-source`, CopySourceRange: 'bytes=0-3' }),
      ),
    );
    expect(f.name).toBe('InvalidArgument');
    expect(f.status).toBe(400);
  });

  it('with x-amz-checksum-algorithm CRC32, Complete answers a COMPOSITE checksum of the part checksums', async () => {
    const up = await create('composite', { ChecksumAlgorithm: 'CRC32' });
    const p1 = await s.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'composite', UploadId: up.UploadId, PartNumber: 1, Body: part1, ChecksumAlgorithm: 'CRC32' }));
    const p2 = await s.client.send(new UploadPartCommand({ Bucket: bucket, Key: 'composite', UploadId: up.UploadId, PartNumber: 2, Body: part2, ChecksumAlgorithm: 'CRC32' }));
    const done = await s.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'composite',
        UploadId: up.UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag, ChecksumCRC32: p1.ChecksumCRC32 },
            { PartNumber: 2, ETag: p2.ETag, ChecksumCRC32: p2.ChecksumCRC32 },
          ],
        },
      }),
    );
    const { crc32 } = await import('node:zlib');
    const raw = Buffer.concat([Buffer.from(p1.ChecksumCRC32!, 'base64'), Buffer.from(p2.ChecksumCRC32!, 'base64')]);
    const digest = Buffer.alloc(4);
    digest.writeUInt32BE(crc32(raw) >>> 0);
    expect(done.ChecksumCRC32).toBe(`${digest.toString('base64')}-2`);
    expect(done.ChecksumType).toBe('COMPOSITE');
  });
});
