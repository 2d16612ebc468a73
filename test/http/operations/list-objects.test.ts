import { CreateBucketCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, type _Object } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketName, s3Failure, startTestServer, type TestServer } from './harness.ts';

/** Sorted by UTF-8 bytes, which is S3's listing order. */
function utf8Sorted(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

const KEYS = [
  'a//b',
  'a/b/c',
  'a/b/d',
  'a/c',
  '../x',
  'b',
  'photos/2006/a.jpg',
  'photos/2006/b.jpg',
  'photos/me.jpg',
  'photos0',
  'quux ab/1',
  'foo+1/2',
  'ｘ-fullwidth',
  '😀-emoji',
  'é',
];

describe('ListObjectsV2 and ListObjects', () => {
  let s: TestServer;
  const bucket = bucketName('list');
  beforeAll(async () => {
    s = await startTestServer();
    await s.client.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of KEYS) await s.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  });
  afterAll(async () => {
    await s?.close();
  });

  const v2 = (input: Omit<ConstructorParameters<typeof ListObjectsV2Command>[0], 'Bucket'> = {}) =>
    s.client.send(new ListObjectsV2Command({ Bucket: bucket, ...input }));
  const v1 = (input: Omit<ConstructorParameters<typeof ListObjectsCommand>[0], 'Bucket'> = {}) =>
    s.client.send(new ListObjectsCommand({ Bucket: bucket, ...input }));
  const keysOf = (contents: _Object[] | undefined) => (contents ?? []).map((c) => c.Key!);

  it('lists every key in UTF-8 byte order with size, ETag and storage class', async () => {
    const out = await v2();
    expect(keysOf(out.Contents)).toEqual(utf8Sorted(KEYS));
    expect(out.KeyCount).toBe(KEYS.length);
    expect(out.MaxKeys).toBe(1000);
    expect(out.IsTruncated).toBe(false);
    const b = out.Contents!.find((c) => c.Key === 'b')!;
    expect(b.Size).toBe(1);
    expect(b.ETag).toBe('"92eb5ffee6ae2fec3ad71c777531578f"');
    expect(b.StorageClass).toBe('STANDARD');
    expect(b.Owner).toBeUndefined();
  });

  it('fetch-owner=true adds the Owner', async () => {
    const out = await v2({ FetchOwner: true, MaxKeys: 1 });
    expect(out.Contents![0]!.Owner!.ID).toMatch(/^[0-9a-f]{64}$/);
  });

  it('prefix and delimiter roll keys up into CommonPrefixes', async () => {
    const out = await v2({ Prefix: 'photos/', Delimiter: '/' });
    expect(keysOf(out.Contents)).toEqual(['photos/me.jpg']);
    expect(out.CommonPrefixes!.map((p) => p.Prefix)).toEqual(['photos/2006/']);
    expect(out.KeyCount).toBe(2);
    expect(out.Delimiter).toBe('/');
    expect(out.Prefix).toBe('photos/');
  });

  it("a delimiter at the top level: 'a//b' rolls up to 'a/', '../x' to '../'", async () => {
    const out = await v2({ Delimiter: '/' });
    expect(out.CommonPrefixes!.map((p) => p.Prefix)).toEqual(utf8Sorted(['../', 'a/', 'foo+1/', 'photos/', 'quux ab/']));
    expect(keysOf(out.Contents)).toEqual(utf8Sorted(['b', 'photos0', 'ｘ-fullwidth', '😀-emoji', 'é']));
  });

  it("prefix 'a/' with delimiter '/' shows the empty segment of 'a//b' as its own common prefix", async () => {
    const out = await v2({ Prefix: 'a/', Delimiter: '/' });
    expect(out.CommonPrefixes!.map((p) => p.Prefix)).toEqual(['a//', 'a/b/']);
    expect(keysOf(out.Contents)).toEqual(['a/c']);
  });

  it('pages with max-keys and continuation tokens, never repeating or skipping an entry', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await v2({ MaxKeys: 2, Delimiter: '/', ContinuationToken: token });
      seen.push(...keysOf(out.Contents), ...(out.CommonPrefixes ?? []).map((p) => p.Prefix!));
      expect(out.KeyCount).toBeLessThanOrEqual(2);
      token = out.NextContinuationToken;
      expect(out.IsTruncated).toBe(token !== undefined);
      pages++;
    } while (token);
    const all = await v2({ Delimiter: '/' });
    const expected = [...keysOf(all.Contents), ...(all.CommonPrefixes ?? []).map((p) => p.Prefix!)];
    expect(utf8Sorted(seen)).toEqual(utf8Sorted(expected));
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(expected.length / 2));
  });

  it('start-after lists keys strictly after it and is echoed', async () => {
    const out = await v2({ StartAfter: 'photos/me.jpg' });
    expect(keysOf(out.Contents)).toEqual(utf8Sorted(KEYS).filter((k) => Buffer.compare(Buffer.from(k), Buffer.from('photos/me.jpg')) > 0));
    expect(out.StartAfter).toBe('photos/me.jpg');
  });

  it('max-keys=0 answers no keys and IsTruncated false', async () => {
    const out = await v2({ MaxKeys: 0 });
    expect(out.Contents).toBeUndefined();
    expect(out.KeyCount).toBe(0);
    expect(out.IsTruncated).toBe(false);
  });

  it('max-keys above 1000 is capped at 1000', async () => {
    const res = await s.signedFetch('GET', `/${bucket}`, { query: { 'list-type': '2', 'max-keys': '5000' } });
    expect(res.text).toContain('<MaxKeys>1000</MaxKeys>');
  });

  it.each(['-1', 'ten', '1.5'])('max-keys=%s -> 400 InvalidArgument', async (value) => {
    const res = await s.signedFetch('GET', `/${bucket}`, { query: { 'list-type': '2', 'max-keys': value } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidArgument</Code>');
    expect(res.text).toContain('<ArgumentName>max-keys</ArgumentName>');
  });

  it('a continuation token signet did not issue -> 400 InvalidArgument', async () => {
    const f = await s3Failure(v2({ ContinuationToken: 'not a token!' }));
    expect(f.name).toBe('InvalidArgument');
    expect(f.status).toBe(400);
  });

  it('encoding-type=url encodes Key, Prefix, Delimiter, StartAfter and CommonPrefixes (space %20, + %2B, / kept)', async () => {
    const res = await s.signedFetch('GET', `/${bucket}`, {
      query: { 'list-type': '2', 'encoding-type': 'url', delimiter: '/', 'start-after': 'a b' },
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<EncodingType>url</EncodingType>');
    expect(res.text).toContain('<StartAfter>a%20b</StartAfter>');
    expect(res.text).toContain('<Delimiter>/</Delimiter>');
    expect(res.text).toContain('<Prefix>quux%20ab/</Prefix>');
    expect(res.text).toContain('<Prefix>foo%2B1/</Prefix>');
    expect(res.text).toContain(`<Key>${encodeURIComponent('😀-emoji')}</Key>`);
  });

  it('an unknown encoding-type -> 400 InvalidArgument', async () => {
    const res = await s.signedFetch('GET', `/${bucket}`, { query: { 'list-type': '2', 'encoding-type': 'base64' } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<ArgumentName>encoding-type</ArgumentName>');
  });

  it('the response has S3 namespace and element order (the CRC32 the SDK sent shows as ChecksumAlgorithm)', async () => {
    const res = await s.signedFetch('GET', `/${bucket}`, { query: { 'list-type': '2', prefix: 'b', 'max-keys': '5' } });
    expect(res.text).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<ListBucketResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><Name>[^<]+<\/Name><Prefix>b<\/Prefix><KeyCount>1<\/KeyCount><MaxKeys>5<\/MaxKeys><IsTruncated>false<\/IsTruncated><Contents><Key>b<\/Key><LastModified>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z<\/LastModified><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><ChecksumAlgorithm>CRC32<\/ChecksumAlgorithm><ChecksumType>FULL_OBJECT<\/ChecksumType><Size>1<\/Size><StorageClass>STANDARD<\/StorageClass><\/Contents><\/ListBucketResult>$/,
    );
  });

  it('ListObjectsV2 on a missing bucket -> 404 NoSuchBucket', async () => {
    const f = await s3Failure(s.client.send(new ListObjectsV2Command({ Bucket: bucketName('gone') })));
    expect(f.name).toBe('NoSuchBucket');
  });

  describe('v1', () => {
    it('lists with Owner on every entry and an echoed empty Marker', async () => {
      const out = await v1({ MaxKeys: 3 });
      expect(keysOf(out.Contents)).toEqual(utf8Sorted(KEYS).slice(0, 3));
      expect(out.Contents![0]!.Owner!.ID).toMatch(/^[0-9a-f]{64}$/);
      expect(out.IsTruncated).toBe(true);
      expect(out.Marker ?? '').toBe('');
    });

    it('NextMarker appears only when a delimiter is given', async () => {
      const without = await v1({ MaxKeys: 2 });
      expect(without.IsTruncated).toBe(true);
      expect(without.NextMarker).toBeUndefined();
      const withDelimiter = await v1({ MaxKeys: 2, Delimiter: '/' });
      expect(withDelimiter.IsTruncated).toBe(true);
      expect(withDelimiter.NextMarker).toBe('a/');
    });

    it('pages with markers through rolled-up prefixes without repeating them', async () => {
      const seen: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const out = await v1({ MaxKeys: 2, Delimiter: '/', Marker: marker });
        seen.push(...keysOf(out.Contents), ...(out.CommonPrefixes ?? []).map((p) => p.Prefix!));
        if (!out.IsTruncated) break;
        marker = out.NextMarker;
      }
      // Each page lists its keys, then its common prefixes: compare as sets, and no repeats.
      expect(utf8Sorted(seen)).toEqual(utf8Sorted(['../', 'a/', 'b', 'foo+1/', 'photos/', 'photos0', 'quux ab/', 'é', 'ｘ-fullwidth', '😀-emoji']));
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('pages without a delimiter by continuing from the last key', async () => {
      const seen: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const out = await v1({ MaxKeys: 4, Marker: marker });
        seen.push(...keysOf(out.Contents));
        if (!out.IsTruncated) break;
        marker = seen[seen.length - 1];
      }
      expect(seen).toEqual(utf8Sorted(KEYS));
    });
  });

  it('list-type other than 2 -> 400 InvalidArgument', async () => {
    const res = await s.signedFetch('GET', `/${bucket}`, { query: { 'list-type': '3' } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidArgument</Code>');
  });
});
