/**
 * POST Object over real HTTP (createApp on 127.0.0.1, port 0, a fresh data directory): every
 * refusal with S3's status, Code and elements and nothing stored, every success answer with
 * its exact status, headers and body, and the stored bytes and metadata.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULTS, systemClock, validateConfig } from '../../src/config.ts';
import { createApp, type RequestRecord } from '../../src/http/app.ts';
import { calculatePolicySignatureV2, calculatePolicySignatureV4 } from '../../src/policy/policy-signature.ts';
import { createPresignedPost, type PresignedPostInput } from '../../src/policy/presigned-post.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import type { ObjectRecord, Storage } from '../../src/storage/types.ts';
import { errorElementNames, parseErrorXml, type S3ErrorBody } from '../helpers/s3-xml.ts';

const ROOT = { accessKeyId: 'postroot', secretAccessKey: 'postroot-secret-0123456789' };
const REGION = 'us-east-1';
const BUCKET = 'uploads';
const OTHER_BUCKET = 'elsewhere';
const BOUNDARY = '----signetFormBoundary7MA4YWxkTrZu0gW';

let server: Server;
let storage: Storage;
let dataDir: string;
let endpoint: string;
let port: number;
const records: RequestRecord[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'signet-post-'));
  const config = validateConfig({
    ...DEFAULTS,
    dataDir,
    port: 0,
    region: REGION,
    rootAccessKeyId: ROOT.accessKeyId,
    rootSecretAccessKey: ROOT.secretAccessKey,
  });
  storage = await openStorage(dataDir);
  storage.meta.upsertRootToken(ROOT.accessKeyId, ROOT.secretAccessKey, new Date());
  storage.meta.createBucket(BUCKET, new Date());
  storage.meta.createBucket(OTHER_BUCKET, new Date());
  addToken('readonlykey', { access: 'read' });
  addToken('otherbucketkey', { buckets: [OTHER_BUCKET] });
  addToken('prefixkey', { prefix: 'mine/' });
  addToken('revokedkey', {});
  storage.meta.revokeToken('revokedkey', new Date());
  const app = createApp({ config, storage, clock: systemClock, onRequestDone: (r) => records.push(r) });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  storage.close();
  await rm(dataDir, { recursive: true, force: true });
});

function addToken(accessKeyId: string, scope: { access?: 'read' | 'write' | 'read-write'; buckets?: string[]; prefix?: string }) {
  storage.meta.insertToken({
    accessKeyId,
    secretAccessKey: `${accessKeyId}-secret-0123`,
    name: accessKeyId,
    access: scope.access ?? 'read-write',
    buckets: scope.buckets ?? [],
    prefix: scope.prefix ?? null,
    expiresAt: null,
    revokedAt: null,
    createdAt: new Date().toISOString(),
    root: false,
  });
}

// ---- forms

interface Part {
  name: string;
  value: string | Buffer;
  filename?: string;
  contentType?: string;
}

function multipart(parts: Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

type SignOptions = Partial<PresignedPostInput> & { key: string };

/** The form fields a signer hands a browser (createPresignedPost, as boto3 builds them). */
function signed(opts: SignOptions): Record<string, string> {
  return createPresignedPost({
    bucket: BUCKET,
    accessKeyId: ROOT.accessKeyId,
    secretAccessKey: ROOT.secretAccessKey,
    region: REGION,
    now: new Date(),
    expiresIn: 600,
    ...opts,
  }).fields;
}

function fieldParts(fields: Record<string, string>): Part[] {
  return Object.entries(fields).map(([name, value]) => ({ name, value }));
}

function filePart(content: string | Buffer, filename = 'hello.txt', contentType = 'text/plain'): Part {
  return { name: 'file', value: content, filename, contentType };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  error?: S3ErrorBody;
  elementNames: string[];
}

async function post(body: Buffer, opts: { bucket?: string; contentType?: string; path?: string } = {}): Promise<Answer> {
  const res = await fetch(`${endpoint}${opts.path ?? `/${opts.bucket ?? BUCKET}`}`, {
    method: 'POST',
    headers: { 'content-type': opts.contentType ?? `multipart/form-data; boundary=${BOUNDARY}` },
    body,
  });
  const text = await res.text();
  const isError = text.includes('<Error>');
  return { status: res.status, headers: res.headers, text, error: isError ? parseErrorXml(text) : undefined, elementNames: isError ? errorElementNames(text) : [] };
}

async function postForm(fields: Record<string, string>, file: Part = filePart('hello, browser'), opts: { bucket?: string } = {}) {
  return post(multipart([...fieldParts(fields), file]), opts);
}

function stored(key: string, bucket = BUCKET): ObjectRecord | undefined {
  return storage.meta.getObject(bucket, key);
}

async function storedBytes(record: ObjectRecord): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of storage.blobs.read(record.blobId)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function tempFiles(): string[] {
  return readdirSync(join(dataDir, 'tmp'));
}

function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

let keyCounter = 0;
function uniqueKey(prefix = 'k'): string {
  keyCounter += 1;
  return `${prefix}/${keyCounter}-${randomBytes(3).toString('hex')}.txt`;
}

/** Asserts the refusal and that nothing was stored or left in tmp/. */
function expectRefused(answer: Answer, status: number, code: string, key?: string): S3ErrorBody {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.error?.Code).toBe(code);
  if (key !== undefined) expect(stored(key)).toBeUndefined();
  expect(tempFiles()).toEqual([]);
  return answer.error!;
}

// ---- success

describe('POST Object: success answers', () => {
  it('default: 204, empty body, ETag = quoted MD5, Location = object URL; bytes stored exactly', async () => {
    const key = uniqueKey('dir');
    const content = randomBytes(5000);
    const answer = await postForm(signed({ key }), filePart(content, 'bytes.bin', 'application/octet-stream'));
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(answer.headers.get('etag')).toBe(`"${md5Hex(content)}"`);
    expect(answer.headers.get('location')).toBe(`${endpoint}/${BUCKET}/${encodeURIComponent(key)}`);
    const record = stored(key)!;
    expect(record.etag).toBe(`"${md5Hex(content)}"`);
    expect(record.size).toBe(content.length);
    expect((await storedBytes(record)).equals(content)).toBe(true);
    // With no Content-Type field the part's own type is not used.
    expect(record.metadata.contentType).toBe('binary/octet-stream');
    expect(tempFiles()).toEqual([]);
  });

  it('success_action_status 200: 200 with an empty body', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, fields: { success_action_status: '200' } }));
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
    expect(answer.headers.get('content-length')).toBe('0');
    expect(answer.headers.get('etag')).toBe(`"${md5Hex('hello, browser')}"`);
    expect(stored(key)).toBeDefined();
  });

  it('success_action_status 201: the PostResponse XML with Location, Bucket, Key, ETag', async () => {
    const key = 'photos/2024/cat & dog.txt';
    const answer = await postForm(signed({ key, fields: { success_action_status: '201' } }));
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toBe('application/xml');
    const etag = `"${md5Hex('hello, browser')}"`;
    const location = `${endpoint}/${BUCKET}/photos%2F2024%2Fcat%20%26%20dog.txt`;
    expect(answer.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<PostResponse><Location>${location}</Location><Bucket>${BUCKET}</Bucket>` +
        `<Key>photos/2024/cat &amp; dog.txt</Key><ETag>&quot;${md5Hex('hello, browser')}&quot;</ETag></PostResponse>`,
    );
    expect(answer.headers.get('etag')).toBe(etag);
    expect(answer.headers.get('location')).toBe(location);
  });

  it('success_action_status of another value (404) -> 204', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, fields: { success_action_status: '404' } }));
    expect(answer.status).toBe(204);
    expect(stored(key)).toBeDefined();
  });

  it('success_action_redirect: 303 to the URL with bucket, key and the quoted etag in its query', async () => {
    const key = 'a b/c.txt';
    const answer = await fetchNoRedirect(signed({ key, fields: { success_action_redirect: 'http://app.test/done' } }));
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe(
      `http://app.test/done?bucket=${BUCKET}&key=a%20b%2Fc.txt&etag=%22${md5Hex('hello, browser')}%22`,
    );
    expect(answer.text).toBe('');
  });

  it('the legacy `redirect` field redirects too; a URL with a query gets the values after &', async () => {
    const key = uniqueKey();
    const answer = await fetchNoRedirect(signed({ key, fields: { redirect: 'https://app.test/done?from=form#top' } }));
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe(
      `https://app.test/done?from=form&bucket=${BUCKET}&key=${encodeURIComponent(key)}&etag=%22${md5Hex('hello, browser')}%22#top`,
    );
  });

  it('a redirect URL with non-ASCII characters, spaces or newlines is sent percent-encoded, never as a broken header', async () => {
    const key = uniqueKey();
    const answer = await fetchNoRedirect(signed({ key, fields: { success_action_redirect: 'http://app.test/caf\u20ac d\none?x=1#' } }));
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe(
      `http://app.test/caf%E2%82%AC%20done?x=1&bucket=${BUCKET}&key=${encodeURIComponent(key)}&etag=%22${md5Hex('hello, browser')}%22#`,
    );
  });

  it('a relative success_action_redirect is ignored: success_action_status applies', async () => {
    const key = uniqueKey();
    const answer = await fetchNoRedirect(signed({ key, fields: { success_action_redirect: '/relative/path', success_action_status: '200' } }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('location')).toBe(`${endpoint}/${BUCKET}/${encodeURIComponent(key)}`);
  });

  it('virtual-hosted POST / on BUCKET.localhost: stored in that bucket, Location without the bucket in the path', async () => {
    const key = 'vh/a.txt';
    const body = multipart([...fieldParts(signed({ key, fields: { success_action_status: '201' } })), filePart('virtual')]);
    const host = `${BUCKET}.localhost:${port}`;
    const answer = await new Promise<{ status: number; location?: string; text: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { host, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': body.length } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status, answer.text).toBe(201);
    expect(answer.location).toBe(`http://${host}/vh%2Fa.txt`);
    expect((await storedBytes(stored(key)!)).toString()).toBe('virtual');
  });

  it('a field named like an Object property (constructor) is only a field', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, fields: { constructor: 'x', toString: 'y' } }));
    expect(answer.status, answer.text).toBe(204);
    expect(stored(key)!.metadata).toEqual({ contentType: 'binary/octet-stream', userMetadata: {} });
  });

  it('replacing an object swaps it atomically and removes the old blob (once the new row is flushed)', async () => {
    const key = uniqueKey();
    await postForm(signed({ key }), filePart('first version'));
    const first = stored(key)!;
    const answer = await postForm(signed({ key }), filePart('second version'));
    expect(answer.status).toBe(204);
    const second = stored(key)!;
    expect(second.blobId).not.toBe(first.blobId);
    expect((await storedBytes(second)).toString()).toBe('second version');
    // Removed once the replacing commit is flushed, a moment after the answer.
    await vi.waitFor(async () => expect((await storage.blobs.listBlobIds()).includes(first.blobId)).toBe(false));
  });
});

async function fetchNoRedirect(fields: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${endpoint}/${BUCKET}`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: multipart([...fieldParts(fields), filePart('hello, browser')]),
    redirect: 'manual',
  });
  return { status: res.status, headers: res.headers, text: await res.text(), elementNames: [] };
}

describe('POST Object: what is stored', () => {
  it('Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Expires and x-amz-meta-* become metadata; signing fields do not', async () => {
    const key = uniqueKey('meta');
    const fields = {
      'Content-Type': 'text/markdown; charset=utf-8',
      'Cache-Control': 'max-age=60, é',
      'Content-Disposition': 'attachment; filename="notes.md"',
      'Content-Encoding': 'identity',
      Expires: 'Wed, 21 Oct 2015 07:28:00 GMT',
      'X-Amz-Meta-Color': 'Blue',
      'x-amz-meta-owner': 'Zoë',
      'x-ignore-submit': 'Upload',
    };
    // x-ignore-* needs no condition (and signed() adds none: it is set after signing).
    const { 'x-ignore-submit': submit, ...covered } = fields;
    const answer = await postForm({ ...signed({ key, fields: covered }), 'x-ignore-submit': submit });
    expect(answer.status, answer.text).toBe(204);
    const { metadata } = stored(key)!;
    expect(metadata).toEqual({
      contentType: 'text/markdown; charset=utf-8',
      cacheControl: 'max-age=60, é',
      contentDisposition: 'attachment; filename="notes.md"',
      contentEncoding: 'identity',
      expires: 'Wed, 21 Oct 2015 07:28:00 GMT',
      userMetadata: { color: 'Blue', owner: 'Zoë' },
    });
  });

  it('${filename} in the key (and other fields) becomes the file name after the last / or \\', async () => {
    const fields = signed({
      key: 'user/${filename}',
      fields: { 'Content-Disposition': 'attachment; filename="${filename}"' },
      conditions: [['starts-with', '$Content-Disposition', 'attachment']],
    });
    const answer = await postForm(fields, filePart('photo bytes', 'C:\\Users\\me/photo.png', 'image/png'));
    expect(answer.status, answer.text).toBe(204);
    const record = stored('user/photo.png')!;
    expect(record.metadata.contentDisposition).toBe('attachment; filename="photo.png"');
    expect((await storedBytes(record)).toString()).toBe('photo bytes');
  });

  it('field names are case-insensitive', async () => {
    const key = uniqueKey();
    const fields = signed({ key, fields: { 'content-type': 'text/plain' } });
    const shouted = Object.fromEntries(Object.entries(fields).map(([n, v]) => [n.toUpperCase(), v]));
    const answer = await postForm(shouted);
    expect(answer.status, answer.text).toBe(204);
    expect(stored(key)!.metadata.contentType).toBe('text/plain');
  });

  it('fields after `file` are ignored: neither policy-checked nor stored', async () => {
    const key = uniqueKey();
    const body = multipart([
      ...fieldParts(signed({ key })),
      filePart('the body'),
      { name: 'x-amz-meta-late', value: 'not covered by the policy' },
      { name: 'key', value: 'another/key.txt' },
    ]);
    const answer = await post(body);
    expect(answer.status, answer.text).toBe(204);
    const record = stored(key)!;
    expect(record.metadata.userMetadata).toEqual({});
    expect((await storedBytes(record)).toString()).toBe('the body');
    expect(stored('another/key.txt')).toBeUndefined();
  });

  it('a `file` sent as a plain text field is the body; ${filename} stays literal', async () => {
    const fields = signed({ key: 'text/${filename}' });
    const answer = await post(multipart([...fieldParts(fields), { name: 'file', value: 'plain text body' }]));
    expect(answer.status, answer.text).toBe(204);
    expect((await storedBytes(stored('text/${filename}')!)).toString()).toBe('plain text body');
  });

  it('SigV2 form (AWSAccessKeyId, signature = HMAC-SHA1 of the policy) is accepted', async () => {
    const key = uniqueKey('v2');
    const answer = await postForm(signed({ key, signatureVersion: 'v2' }));
    expect(answer.status, answer.text).toBe(204);
    expect(stored(key)).toBeDefined();
  });

  it('a matching Content-MD5 field is accepted; content-length-range bounds are inclusive', async () => {
    const key = uniqueKey();
    const content = 'exactly 16 bytes';
    const contentMd5 = createHash('md5').update(content).digest('base64');
    const fields = signed({ key, fields: { 'Content-MD5': contentMd5 }, conditions: [['content-length-range', 16, 16]] });
    const answer = await postForm(fields, filePart(content));
    expect(answer.status, answer.text).toBe(204);
  });
});

// ---- refusals

describe('POST Object: refusals (nothing stored, no temp file left)', () => {
  it('expired policy -> 403 AccessDenied "Invalid according to Policy: Policy expired."', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, now: new Date(Date.now() - 3_600_000), expiresIn: 60 }));
    const error = expectRefused(answer, 403, 'AccessDenied', key);
    expect(error.Message).toBe('Invalid according to Policy: Policy expired.');
  });

  it('eq condition violated -> 403 AccessDenied naming the condition', async () => {
    const key = uniqueKey();
    const fields = { ...signed({ key, fields: { 'Content-Type': 'image/png' } }), 'Content-Type': 'image/jpeg' };
    const error = expectRefused(await postForm(fields), 403, 'AccessDenied', key);
    expect(error.Message).toBe('Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]');
  });

  it('starts-with condition violated -> 403 AccessDenied naming the condition', async () => {
    const fields = { ...signed({ key: 'user/alice/${filename}' }), key: 'user/bob/x.txt' };
    const error = expectRefused(await postForm(fields), 403, 'AccessDenied', 'user/bob/x.txt');
    expect(error.Message).toBe('Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/alice/"]');
  });

  it('bucket condition: a policy for another bucket -> 403 AccessDenied', async () => {
    const key = uniqueKey();
    const error = expectRefused(await postForm(signed({ key, bucket: OTHER_BUCKET })), 403, 'AccessDenied', key);
    expect(error.Message).toBe(`Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "${OTHER_BUCKET}"]`);
  });

  it('a field no condition covers -> 403 AccessDenied "Extra input fields"', async () => {
    const key = uniqueKey();
    const fields = { ...signed({ key }), 'x-amz-meta-sneaky': 'yes' };
    const error = expectRefused(await postForm(fields), 403, 'AccessDenied', key);
    expect(error.Message).toBe('Invalid according to Policy: Extra input fields: x-amz-meta-sneaky');
  });

  it('missing key -> 400 InvalidArgument "must contain a field named \'key\'"', async () => {
    const fields = signed({ key: 'k.txt' });
    delete fields.key;
    const answer = await postForm(fields);
    const error = expectRefused(answer, 400, 'InvalidArgument');
    expect(error.Message).toBe("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.");
    expect(error.ArgumentName).toBe('key');
    expect(error.ArgumentValue).toBe('');
  });

  it('missing x-amz-signature -> 400 InvalidArgument naming X-Amz-Signature', async () => {
    const key = uniqueKey();
    const fields = signed({ key });
    delete fields['x-amz-signature'];
    const error = expectRefused(await postForm(fields), 400, 'InvalidArgument', key);
    expect(error.ArgumentName).toBe('X-Amz-Signature');
  });

  it('SigV2 form without signature -> 400 InvalidArgument naming Signature', async () => {
    const key = uniqueKey();
    const fields = signed({ key, signatureVersion: 'v2' });
    delete fields.signature;
    const error = expectRefused(await postForm(fields), 400, 'InvalidArgument', key);
    expect(error.ArgumentName).toBe('Signature');
  });

  it('no signature fields at all -> 403 AccessDenied "Access Denied"', async () => {
    const key = uniqueKey();
    const { policy } = signed({ key });
    const error = expectRefused(await postForm({ key, policy }), 403, 'AccessDenied', key);
    expect(error.Message).toBe('Access Denied');
  });

  it('tampered policy -> 403 SignatureDoesNotMatch with StringToSign = the policy as sent', async () => {
    const key = uniqueKey();
    const fields = signed({ key, conditions: [['content-length-range', 0, 10]] });
    const decoded = Buffer.from(fields.policy!, 'base64').toString().replace('10]', '99999999]');
    const tampered = Buffer.from(decoded).toString('base64');
    const answer = await postForm({ ...fields, policy: tampered });
    const error = expectRefused(answer, 403, 'SignatureDoesNotMatch', key);
    expect(answer.elementNames.slice(0, 6)).toEqual(['Code', 'Message', 'AWSAccessKeyId', 'StringToSign', 'SignatureProvided', 'StringToSignBytes']);
    expect(error.AWSAccessKeyId).toBe(ROOT.accessKeyId);
    expect(error.StringToSign).toBe(tampered);
    expect(error.SignatureProvided).toBe(fields['x-amz-signature']);
    expect(error.StringToSignBytes).toBe([...Buffer.from(tampered)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
  });

  it('a SigV2 signature over another policy -> 403 SignatureDoesNotMatch', async () => {
    const key = uniqueKey();
    const fields = signed({ key, signatureVersion: 'v2' });
    const answer = await postForm({ ...fields, signature: calculatePolicySignatureV2(ROOT.secretAccessKey, 'something else') });
    expectRefused(answer, 403, 'SignatureDoesNotMatch', key);
  });

  it('unknown access key -> 403 InvalidAccessKeyId', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, accessKeyId: 'nosuchkey', secretAccessKey: 'whatever-secret' }));
    const error = expectRefused(answer, 403, 'InvalidAccessKeyId', key);
    expect(error.AWSAccessKeyId).toBe('nosuchkey');
    expect(error.Message).toBe('The AWS Access Key Id you provided does not exist in our records.');
  });

  it('revoked token -> 403 InvalidAccessKeyId', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, accessKeyId: 'revokedkey', secretAccessKey: 'revokedkey-secret-0123' }));
    expectRefused(answer, 403, 'InvalidAccessKeyId', key);
  });

  it('read-only token -> 403 AccessDenied "Access Denied" (after a valid signature)', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, accessKeyId: 'readonlykey', secretAccessKey: 'readonlykey-secret-0123' }));
    const error = expectRefused(answer, 403, 'AccessDenied', key);
    expect(error.Message).toBe('Access Denied');
  });

  it('token limited to another bucket, or to another prefix -> 403 AccessDenied', async () => {
    const key = uniqueKey();
    expectRefused(await postForm(signed({ key, accessKeyId: 'otherbucketkey', secretAccessKey: 'otherbucketkey-secret-0123' })), 403, 'AccessDenied', key);
    expectRefused(await postForm(signed({ key, accessKeyId: 'prefixkey', secretAccessKey: 'prefixkey-secret-0123' })), 403, 'AccessDenied', key);
    const ok = await postForm(signed({ key: 'mine/ok.txt', accessKeyId: 'prefixkey', secretAccessKey: 'prefixkey-secret-0123' }));
    expect(ok.status).toBe(204);
  });

  it('wrong region in x-amz-credential -> 400 InvalidArgument with ArgumentName, ArgumentValue, Region', async () => {
    const key = uniqueKey();
    const fields = signed({ key, region: 'eu-west-1' });
    const error = expectRefused(await postForm(fields), 400, 'InvalidArgument', key);
    expect(error.Message).toBe("the region 'eu-west-1' is wrong; expecting 'us-east-1'");
    expect(error.ArgumentName).toBe('X-Amz-Credential');
    expect(error.ArgumentValue).toBe(fields['x-amz-credential']);
    expect(error.Region).toBe('us-east-1');
  });

  it('a signed but unparseable policy -> 400 InvalidPolicyDocument "Invalid Policy: Invalid JSON."', async () => {
    const key = uniqueKey();
    const policy = Buffer.from('{"expiration": "2030-01-01T00:00:00Z", "conditions": [').toString('base64');
    const fields = signed({ key });
    const date = fields['x-amz-date']!.slice(0, 8);
    const answer = await postForm({ ...fields, policy, 'x-amz-signature': calculatePolicySignatureV4(ROOT.secretAccessKey, date, REGION, policy) });
    const error = expectRefused(answer, 400, 'InvalidPolicyDocument', key);
    expect(error.Message).toBe('Invalid Policy: Invalid JSON.');
  });

  it('no file -> 400 InvalidArgument "POST requires exactly one file upload per request." (file, 0)', async () => {
    const key = uniqueKey();
    const answer = await post(multipart(fieldParts(signed({ key }))));
    const error = expectRefused(answer, 400, 'InvalidArgument', key);
    expect(error.Message).toBe('POST requires exactly one file upload per request.');
    expect(error.ArgumentName).toBe('file');
    expect(error.ArgumentValue).toBe('0');
  });

  it('two files -> 400 InvalidArgument (file, 2)', async () => {
    const key = uniqueKey();
    const body = multipart([...fieldParts(signed({ key })), { name: 'attachment', value: 'first', filename: 'a.txt' }, filePart('second')]);
    const error = expectRefused(await post(body), 400, 'InvalidArgument', key);
    expect(error.ArgumentName).toBe('file');
    expect(error.ArgumentValue).toBe('2');
  });

  it('a body that is not multipart/form-data -> 412 PreconditionFailed with Condition', async () => {
    const answer = await post(Buffer.from('key=a&policy=b'), { contentType: 'application/x-www-form-urlencoded' });
    const error = expectRefused(answer, 412, 'PreconditionFailed');
    expect(error.Message).toBe('At least one of the pre-conditions you specified did not hold');
    expect(error.Condition).toBe('Bucket POST must be of the enclosure-type multipart/form-data');
  });

  it('malformed multipart (truncated before the file ends; no boundary) -> 400 MalformedPOSTRequest', async () => {
    const key = uniqueKey();
    const full = multipart([...fieldParts(signed({ key })), filePart('0123456789'.repeat(100))]);
    const truncated = full.subarray(0, full.length - 500);
    const error = expectRefused(await post(truncated), 400, 'MalformedPOSTRequest', key);
    expect(error.Message).toBe('The body of your POST request is not well-formed multipart/form-data.');
    expectRefused(await post(full, { contentType: 'multipart/form-data' }), 400, 'MalformedPOSTRequest', key);
    expectRefused(await post(Buffer.from('garbage without any boundary')), 400, 'MalformedPOSTRequest', key);
  });

  it('fields before the file over 20 KB -> 400 MaxPostPreDataLengthExceeded (MaxPostPreDataLengthBytes 20480)', async () => {
    const key = uniqueKey();
    const fields = { ...signed({ key }), 'x-ignore-padding': 'p'.repeat(20_000) };
    const answer = await postForm(fields);
    const error = expectRefused(answer, 400, 'MaxPostPreDataLengthExceeded', key);
    expect(error.Message).toBe('Your POST request fields preceeding the upload file was too large.');
    expect(error.MaxPostPreDataLengthBytes).toBe('20480');
    // Many small fields add up the same way.
    const many = { ...signed({ key }) };
    for (let i = 0; i < 200; i++) many[`x-ignore-f${i}`] = 'v'.repeat(40);
    expectRefused(await postForm(many), 400, 'MaxPostPreDataLengthExceeded', key);
  });

  it('the fields before the file, framed as sent, may be exactly 20480 bytes; one byte more is refused', async () => {
    const framedBytes = (fields: Record<string, string>) => multipart(fieldParts(fields)).length - Buffer.byteLength(`--${BOUNDARY}--\r\n`);
    const formOf = (total: number) => {
      const key = uniqueKey();
      const base = signed({ key });
      const fields = { ...base, 'x-ignore-padding': 'p'.repeat(total - framedBytes({ ...base, 'x-ignore-padding': '' })) };
      expect(framedBytes(fields)).toBe(total);
      return { key, fields };
    };
    const atLimit = formOf(20480);
    const accepted = await postForm(atLimit.fields);
    expect(accepted.status, accepted.text).toBe(204);
    expect(stored(atLimit.key)).toBeDefined();
    const over = formOf(20481);
    expectRefused(await postForm(over.fields), 400, 'MaxPostPreDataLengthExceeded', over.key);
  });

  it('no such bucket -> 404 NoSuchBucket (after the signature)', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, bucket: 'nobucket' }), filePart('x'), { bucket: 'nobucket' });
    const error = expectRefused(answer, 404, 'NoSuchBucket');
    expect(error.BucketName).toBe('nobucket');
  });

  it('content-length-range: one byte under the minimum -> 400 EntityTooSmall with ProposedSize, MinSizeAllowed', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, conditions: [['content-length-range', 10, 100]] }), filePart('123456789'));
    const error = expectRefused(answer, 400, 'EntityTooSmall', key);
    expect(error.Message).toBe('Your proposed upload is smaller than the minimum allowed size');
    expect(error.ProposedSize).toBe('9');
    expect(error.MinSizeAllowed).toBe('10');
  });

  it('content-length-range: one byte over the maximum -> 400 EntityTooLarge with ProposedSize, MaxSizeAllowed', async () => {
    const key = uniqueKey();
    const answer = await postForm(signed({ key, conditions: [['content-length-range', '0', '10']] }), filePart('12345678901'));
    const error = expectRefused(answer, 400, 'EntityTooLarge', key);
    expect(error.Message).toBe('Your proposed upload exceeds the maximum allowed size');
    expect(error.ProposedSize).toBe('11');
    expect(error.MaxSizeAllowed).toBe('10');
  });

  it('content-length-range: a 50 MiB body against a 1 KiB maximum is cut off long before its end', async () => {
    const key = uniqueKey('big');
    const fields = signed({ key, conditions: [['content-length-range', 0, 1024]] });
    const total = 50 * 1024 * 1024;
    const before = records.length;
    const answer = await postStreaming(fields, total);
    expect(answer.status, answer.text).toBe(400);
    const error = parseErrorXml(answer.text);
    expect(error.Code).toBe('EntityTooLarge');
    expect(error.MaxSizeAllowed).toBe('1024');
    expect(Number(error.ProposedSize)).toBeGreaterThan(1024);
    expect(Number(error.ProposedSize)).toBeLessThan(total);
    // The answer came while the client was still sending, and the server read a small part.
    expect(answer.sentWhenAnswered).toBeLessThan(total / 2);
    await waitFor(() => records.length > before);
    const record = records.slice(before).find((r) => r.errorCode === 'EntityTooLarge')!;
    expect(record.bytesIn).toBeLessThan(total / 4);
    expect(stored(key)).toBeUndefined();
    expect(tempFiles()).toEqual([]);
  });

  it('a refused 3 MiB upload: fetch still reads the answer (the rest of the body is read and dropped, not stored)', async () => {
    const key = uniqueKey();
    const fields = signed({ key, now: new Date(Date.now() - 3_600_000), expiresIn: 60 });
    const answer = await postForm(fields, filePart(randomBytes(3 * 1024 * 1024), 'big.bin'));
    expectRefused(answer, 403, 'AccessDenied', key);
    expect(answer.headers.get('connection')).not.toBe('close');
  });

  it('Content-MD5 field that does not match the file -> 400 BadDigest', async () => {
    const key = uniqueKey();
    const wrong = createHash('md5').update('other').digest('base64');
    const answer = await postForm(signed({ key, fields: { 'Content-MD5': wrong } }), filePart('the real bytes'));
    expectRefused(answer, 400, 'BadDigest', key);
  });

  it('no form input ever gets a 500: random fields and bytes', async () => {
    const key = uniqueKey();
    const good = signed({ key });
    const names = [...Object.keys(good), 'file', 'FILE', 'acl', 'x-amz-meta-a', 'bucket', 'success_action_status', 'x-ignore-z', ''];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...names), fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...Object.values(good))), fc.option(fc.string({ maxLength: 10 }))), { maxLength: 10 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        async (parts, raw, truncate) => {
          const body = multipart(parts.map(([name, value, filename]) => ({ name: name.replace(/["\r\n]/g, ''), value, filename: filename?.replace(/["\r\n]/g, '') ?? undefined })));
          const sent = truncate ? Buffer.concat([body.subarray(0, Math.floor(body.length / 2)), Buffer.from(raw)]) : body;
          const answer = await post(sent);
          expect(answer.status).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
    expect(tempFiles()).toEqual([]);
  });
});

// ---- helpers for the streaming test

async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

/**
 * Streams a form whose file is `fileBytes` long, with backpressure, and stops sending once the
 * answer has arrived. Reports how much had been sent when it did.
 */
function postStreaming(fields: Record<string, string>, fileBytes: number): Promise<{ status: number; text: string; sentWhenAnswered: number }> {
  const head = Buffer.concat([
    multipart(fieldParts(fields)).subarray(0, -(`--${BOUNDARY}--\r\n`.length)),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
  ]);
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered: { status: number; sentWhenAnswered: number } | undefined;
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/${BUCKET}`,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': head.length + fileBytes + tail.length },
    });
    req.on('response', (res) => {
      answered = { status: res.statusCode!, sentWhenAnswered: sent };
      const body: Buffer[] = [];
      res.on('data', (c: Buffer) => body.push(c));
      res.on('end', () => resolve({ ...answered!, text: Buffer.concat(body).toString() }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const write = async () => {
      req.write(head);
      sent += head.length;
      while (sent < head.length + fileBytes && !answered && !req.destroyed) {
        const n = Math.min(chunk.length, head.length + fileBytes - sent);
        const ok = req.write(chunk.subarray(0, n));
        sent += n;
        if (!ok) await new Promise<void>((r) => {
          const done = () => { req.off('drain', done); req.off('close', done); r(); };
          req.once('drain', done);
          req.once('close', done);
        });
      }
      if (!answered && !req.destroyed) req.end(tail);
    };
    write().catch(reject);
  });
}
