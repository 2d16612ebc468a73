/**
 * Every route family through supertest on createApp (no listening server of our own), with
 * requests signed by the project's signer and answers checked as S3's: status, Code, XML shape.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig, type Clock } from '../../src/config.ts';
import { createApp } from '../../src/http/app.ts';
import { createPresignedPost } from '../../src/policy/presigned-post.ts';
import { presignUrl, signRequestHeaders } from '../../src/sigv4/sign.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import type { Storage } from '../../src/storage/types.ts';
import { parseErrorXml } from '../helpers/s3-xml.ts';

const HOST = 'signet.test';
const ROOT = { accessKeyId: 'familyroot', secretAccessKey: 'familyroot-secret-123' };
const REGION = 'us-east-1';
const NOW = new Date('2026-03-01T12:00:00Z');
const clock: Clock = { now: () => NOW };

let dir: string;
let storage: Storage;
let app: ReturnType<typeof createApp>;

const sha256 = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');

/** A header-signed request, as an SDK would send it. */
function signed(method: string, path: string, body: string | Buffer = '', headers: Record<string, string> = {}) {
  const signedHeaders = signRequestHeaders({
    method,
    url: `http://${HOST}${path}`,
    headers,
    payloadHash: sha256(body),
    ...ROOT,
    region: REGION,
    now: NOW,
  });
  let r = request(app)[method.toLowerCase() as 'get'](path);
  for (const [name, value] of Object.entries(signedHeaders)) r = r.set(name, value);
  return method === 'GET' || method === 'HEAD' ? r : r.send(body);
}

function presigned(method: string, path: string, expiresIn = 300) {
  return presignUrl({ method, url: `http://${HOST}${path}`, ...ROOT, region: REGION, now: NOW, expiresIn }).replace(`http://${HOST}`, '');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signet-families-'));
  storage = await openStorage(dir);
  storage.meta.upsertRootToken(ROOT.accessKeyId, ROOT.secretAccessKey, NOW);
  const config = validateConfig({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    region: REGION,
    rootAccessKeyId: ROOT.accessKeyId,
    rootSecretAccessKey: ROOT.secretAccessKey,
    clockControl: false,
  });
  app = createApp({ config, storage, clock });
});
afterAll(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('route families (supertest on createApp)', () => {
  it('health: GET /_signet/health answers 200 JSON without credentials', async () => {
    const r = await request(app).get('/_signet/health').set('Host', HOST);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', region: REGION });
  });

  it('service: ListBuckets; anonymous -> 403 AccessDenied XML with RequestId', async () => {
    expect((await signed('PUT', '/family')).status).toBe(200);
    const list = await signed('GET', '/');
    expect(list.status).toBe(200);
    expect(list.text).toContain('<Name>family</Name>');
    const anon = await request(app).get('/').set('Host', HOST);
    expect(anon.status).toBe(403);
    expect(anon.headers['content-type']).toContain('application/xml');
    expect(parseErrorXml(anon.text)).toMatchObject({ Code: 'AccessDenied', RequestId: anon.headers['x-amz-request-id'] });
  });

  it('bucket: HeadBucket, GetBucketLocation, invalid name, BucketNotEmpty, DeleteBucket', async () => {
    expect((await signed('HEAD', '/family')).status).toBe(200);
    expect((await signed('GET', '/family?location')).text).toMatch(/<LocationConstraint[^>]*\/?>(<\/LocationConstraint>)?/);
    const bad = await signed('PUT', '/Bad_Bucket');
    expect(bad.status).toBe(400);
    expect(parseErrorXml(bad.text).Code).toBe('InvalidBucketName');
    expect((await signed('PUT', '/family/x', 'x')).status).toBe(200);
    const notEmpty = await signed('DELETE', '/family');
    expect(notEmpty.status).toBe(409);
    expect(parseErrorXml(notEmpty.text).Code).toBe('BucketNotEmpty');
    expect((await signed('PUT', '/emptied')).status).toBe(200);
    expect((await signed('DELETE', '/emptied')).status).toBe(204);
    expect((await signed('HEAD', '/emptied')).status).toBe(404);
  });

  it('object: PUT, GET (range), HEAD, DELETE, NoSuchKey with Key', async () => {
    const body = 'The quick brown fox';
    const put = await signed('PUT', '/family/fox.txt', body, { 'content-type': 'text/plain' });
    expect(put.status).toBe(200);
    expect(put.headers.etag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    const range = await signed('GET', '/family/fox.txt', '', { range: 'bytes=4-8' });
    expect(range.status).toBe(206);
    expect(range.text).toBe('quick');
    const head = await signed('HEAD', '/family/fox.txt');
    expect(head.headers['content-length']).toBe(String(body.length));
    expect((await signed('DELETE', '/family/fox.txt')).status).toBe(204);
    const missing = await signed('GET', '/family/fox.txt');
    expect(missing.status).toBe(404);
    expect(parseErrorXml(missing.text)).toMatchObject({ Code: 'NoSuchKey', Key: 'fox.txt' });
  });

  it('listing: ListObjectsV2 with prefix and delimiter', async () => {
    for (const k of ['d/1', 'd/2', 'e/1']) expect((await signed('PUT', `/family/${k}`, k)).status).toBe(200);
    const r = await signed('GET', '/family?delimiter=%2F&list-type=2');
    expect(r.status).toBe(200);
    expect(r.text).toContain('<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>');
    expect(r.text).toContain('<CommonPrefixes><Prefix>e/</Prefix></CommonPrefixes>');
    expect(r.text).toContain('<Key>x</Key>');
  });

  it('multipart: create, NoSuchUpload, abort', async () => {
    const created = await signed('POST', '/family/mp?uploads');
    expect(created.status).toBe(200);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)![1]!;
    const bogus = await signed('PUT', `/family/mp?partNumber=1&uploadId=nope`, 'x');
    expect(bogus.status).toBe(404);
    expect(parseErrorXml(bogus.text).Code).toBe('NoSuchUpload');
    expect((await signed('DELETE', `/family/mp?uploadId=${encodeURIComponent(uploadId)}`)).status).toBe(204);
  });

  it('presigned: a SigV4 URL made by the project signer GETs the object; tampered -> SignatureDoesNotMatch', async () => {
    const path = presigned('GET', '/family/d/1');
    const ok = await request(app).get(path).set('Host', HOST);
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('d/1');
    const bad = await request(app).get(path.replace('/d/1', '/d/2')).set('Host', HOST);
    expect(bad.status).toBe(403);
    expect(parseErrorXml(bad.text).Code).toBe('SignatureDoesNotMatch');
  });

  it('CORS: PutBucketCors then a preflight; a bucket without rules -> 403 AccessForbidden', async () => {
    const cors =
      '<CORSConfiguration><CORSRule><AllowedOrigin>http://app.test</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule></CORSConfiguration>';
    const md5 = createHash('md5').update(cors).digest('base64');
    expect((await signed('PUT', '/family?cors', cors, { 'content-md5': md5 })).status).toBe(200);
    const pre = await request(app)
      .options('/family/up.png')
      .set('Host', HOST)
      .set('Origin', 'http://app.test')
      .set('Access-Control-Request-Method', 'PUT')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(pre.status).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toBe('http://app.test');
    expect(pre.headers['access-control-allow-methods']).toBe('PUT');
    expect((await signed('PUT', '/nocors')).status).toBe(200);
    const refused = await request(app)
      .options('/nocors/up.png')
      .set('Host', HOST)
      .set('Origin', 'http://app.test')
      .set('Access-Control-Request-Method', 'PUT');
    expect(refused.status).toBe(403);
    expect(parseErrorXml(refused.text)).toMatchObject({ Code: 'AccessForbidden', Method: 'PUT', ResourceType: 'OBJECT' });
  });

  it('browser POST: a signed form stores the file; a form over its size limit -> 400 EntityTooLarge', async () => {
    const make = (max: number) =>
      createPresignedPost({
        bucket: 'family',
        key: 'posted/${filename}',
        ...ROOT,
        region: REGION,
        now: NOW,
        expiresIn: 600,
        conditions: [['content-length-range', 0, max]],
      }).fields;
    let ok = request(app).post('/family').set('Host', HOST);
    for (const [k, v] of Object.entries(make(100))) ok = ok.field(k, v);
    const stored = await ok.attach('file', Buffer.from('posted bytes'), 'note.txt');
    expect(stored.status).toBe(204);
    expect((await signed('GET', '/family/posted/note.txt')).text).toBe('posted bytes');
    let big = request(app).post('/family').set('Host', HOST);
    for (const [k, v] of Object.entries(make(4))) big = big.field(k, v);
    const refused = await big.attach('file', Buffer.from('far more than four bytes'), 'big.txt');
    expect(refused.status).toBe(400);
    expect(parseErrorXml(refused.text).Code).toBe('EntityTooLarge');
  });

  it('an unknown subresource is 501 NotImplemented, never a 500', async () => {
    const r = await signed('GET', '/family?replication');
    expect(r.status).toBe(501);
    expect(parseErrorXml(r.text).Code).toBe('NotImplemented');
  });
});
