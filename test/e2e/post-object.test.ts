/**
 * Browser-style POST uploads against a real `signet serve`, with forms made by the real
 * clients: boto3 generate_presigned_post with its defaults (SigV2 fields when endpoint_url is
 * set) and with signature_version='s3v4', and @aws-sdk/s3-presigned-post. Uploads go through
 * fetch + FormData, python requests and curl -F, as apps send them; bytes and metadata are
 * read back with the SDK; each kind of policy violation is refused with S3's status and Code.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseErrorXml } from '../helpers/s3-xml.ts';
import { makeTempDir, REGION, ROOT_KEY, ROOT_SECRET, runPython, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

let s: SpawnedServer;
let root: S3Client;
let work: string;
const BUCKET = 'forms';
const OTHER = 'forms-other';

interface PresignedForm {
  url: string;
  fields: Record<string, string>;
}

interface Upload {
  status: number;
  text: string;
  headers: Headers;
  code?: string;
  message?: string;
}

beforeAll(async () => {
  s = await startSignet();
  root = new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, credentials: { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET } });
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await root.send(new CreateBucketCommand({ Bucket: OTHER }));
  work = makeTempDir('signet-post-e2e-');
  boto = botoPresignedPosts(BOTO_FORMS) as typeof boto;
});
afterAll(async () => {
  await s?.stop();
});

interface BotoSpec {
  config: 'default' | 's3v4';
  bucket?: string;
  key: string;
  fields?: Record<string, string>;
  conditions?: unknown[];
  expiresIn?: number;
}

/** Every boto3 form the tests use, made in one python run (boto3 takes seconds to import). */
const BOTO_FORMS = {
  v2Csv: {
    config: 'default',
    key: 'boto-v2/${filename}',
    fields: { 'Content-Type': 'text/csv', 'x-amz-meta-source': 'boto3' },
    conditions: [{ 'Content-Type': 'text/csv' }, { 'x-amz-meta-source': 'boto3' }, ['content-length-range', 1, 1_000_000]],
  },
  v4Photo: {
    config: 's3v4',
    key: 'boto-v4/photo.bin',
    fields: { 'Content-Type': 'image/png', 'Cache-Control': 'max-age=3600', success_action_status: '201' },
    conditions: [{ 'Content-Type': 'image/png' }, { 'Cache-Control': 'max-age=3600' }, { success_action_status: '201' }],
  },
  expired: { config: 's3v4', key: 'v/expired.txt', expiresIn: -60 },
  tooLarge: { config: 'default', key: 'v/large.txt', conditions: [['content-length-range', 1, 5]] },
  tooSmall: { config: 's3v4', key: 'v/small.txt', conditions: [['content-length-range', 11, 100]] },
  aliceOnly: { config: 's3v4', key: 'user/alice/${filename}' },
  pngOnly: { config: 'default', key: 'v/type.txt', fields: { 'Content-Type': 'image/png' }, conditions: [{ 'Content-Type': 'image/png' }] },
  extra: { config: 's3v4', key: 'v/extra.txt' },
  bucket: { config: 's3v4', key: 'v/bucket.txt' },
  signature: { config: 'default', key: 'v/sig.txt' },
  curl: { config: 's3v4', key: 'curl/big.bin' },
} satisfies Record<string, BotoSpec>;

let boto: Record<keyof typeof BOTO_FORMS, PresignedForm>;

/** boto3's generate_presigned_post, with Config() or Config(signature_version="s3v4"). */
function botoPresignedPosts(specs: Record<string, BotoSpec>): Record<string, PresignedForm> {
  const r = runPython(
    `
import sys, json, boto3
from botocore.config import Config
endpoint, akid, secret, raw = sys.argv[1:5]
clients = {
    "default": boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=akid, aws_secret_access_key=secret, region_name="${REGION}", config=Config()),
    "s3v4": boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=akid, aws_secret_access_key=secret, region_name="${REGION}", config=Config(signature_version="s3v4")),
}
out = {}
for name, a in json.loads(raw).items():
    out[name] = clients[a["config"]].generate_presigned_post(a.get("bucket", "${BUCKET}"), a["key"], Fields=a.get("fields"), Conditions=a.get("conditions"), ExpiresIn=a.get("expiresIn", 600))
print(json.dumps(out))
`,
    [s.url, ROOT_KEY, ROOT_SECRET, JSON.stringify(specs)],
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, PresignedForm>;
}

/** The upload as a browser app sends it: fetch with FormData, the file appended last. */
async function uploadWithFetch(form: PresignedForm, file: { name: string; bytes: Buffer; type?: string }, extra: Record<string, string> = {}, url = form.url): Promise<Upload> {
  const body = new FormData();
  for (const [name, value] of Object.entries({ ...form.fields, ...extra })) body.append(name, value);
  body.append('file', new Blob([file.bytes], { type: file.type ?? 'application/octet-stream' }), file.name);
  const res = await fetch(url, { method: 'POST', body, redirect: 'manual' });
  const text = await res.text();
  const error = text.includes('<Error>') ? parseErrorXml(text) : undefined;
  return { status: res.status, text, headers: res.headers, code: error?.Code, message: error?.Message };
}

async function getObject(key: string, bucket = BUCKET) {
  const out = await root.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { bytes: Buffer.from(await out.Body!.transformToByteArray()), contentType: out.ContentType, metadata: out.Metadata, etag: out.ETag };
}

async function exists(key: string, bucket = BUCKET): Promise<boolean> {
  try {
    await root.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'NotFound') return false;
    throw err;
  }
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

describe('boto3 generate_presigned_post', () => {
  it('defaults (SigV2 fields with endpoint_url): python requests uploads, bytes and metadata round-trip', async () => {
    const form = boto.v2Csv;
    expect(Object.keys(form.fields)).toEqual(expect.arrayContaining(['AWSAccessKeyId', 'signature', 'policy']));
    expect(form.url).toBe(`${s.url}/${BUCKET}`);
    const bytes = Buffer.from('id,name\n1,ada\n2,grace\n');
    const path = join(work, 'people.csv');
    writeFileSync(path, bytes);
    // The boto3 documentation's own upload: requests.post(url, data=fields, files={'file': …}).
    const r = runPython(
      `
import sys, json, requests
form = json.loads(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    res = requests.post(form["url"], data=form["fields"], files={"file": ("people.csv", f)})
print(res.status_code)
print(res.headers.get("ETag"))
`,
      [JSON.stringify(form), path],
    );
    expect(r.status, r.stderr).toBe(0);
    const [status, etag] = r.stdout.trim().split('\n');
    expect(status).toBe('204');
    expect(etag).toBe(`"${md5(bytes)}"`);
    const got = await getObject('boto-v2/people.csv');
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(got.contentType).toBe('text/csv');
    expect(got.metadata).toEqual({ source: 'boto3' });
  });

  it("signature_version='s3v4': fetch + FormData uploads, bytes and metadata round-trip", async () => {
    const form = boto.v4Photo;
    expect(form.fields['x-amz-algorithm']).toBe('AWS4-HMAC-SHA256');
    const bytes = randomBytes(300_000);
    const up = await uploadWithFetch(form, { name: 'photo.png', bytes, type: 'image/png' });
    expect(up.status, up.text).toBe(201);
    expect(up.text).toContain(`<Key>boto-v4/photo.bin</Key><ETag>&quot;${md5(bytes)}&quot;</ETag>`);
    const got = await getObject('boto-v4/photo.bin');
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(got.contentType).toBe('image/png');
  });

  describe('each policy violation, once', () => {
    const file = { name: 'data.txt', bytes: Buffer.from('0123456789') };

    it('expired (ExpiresIn=-60) -> 403 AccessDenied "Policy expired."', async () => {
      const up = await uploadWithFetch(boto.expired, file);
      expect([up.status, up.code, up.message]).toEqual([403, 'AccessDenied', 'Invalid according to Policy: Policy expired.']);
      expect(await exists('v/expired.txt')).toBe(false);
    });

    it('content-length-range, file too large -> 400 EntityTooLarge', async () => {
      const form = boto.tooLarge;
      const up = await uploadWithFetch(form, file);
      expect([up.status, up.code]).toEqual([400, 'EntityTooLarge']);
      expect(await exists('v/large.txt')).toBe(false);
    });

    it('content-length-range, file too small -> 400 EntityTooSmall', async () => {
      const form = boto.tooSmall;
      const up = await uploadWithFetch(form, file);
      expect([up.status, up.code]).toEqual([400, 'EntityTooSmall']);
      expect(await exists('v/small.txt')).toBe(false);
    });

    it('starts-with on the key, another key sent -> 403 AccessDenied', async () => {
      const form = boto.aliceOnly;
      const up = await uploadWithFetch(form, file, { key: 'user/mallory/data.txt' });
      expect([up.status, up.code, up.message]).toEqual([403, 'AccessDenied', 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/alice/"]']);
      expect(await exists('user/mallory/data.txt')).toBe(false);
    });

    it('eq on Content-Type, another type sent -> 403 AccessDenied', async () => {
      const form = boto.pngOnly;
      const up = await uploadWithFetch(form, file, { 'Content-Type': 'text/html' });
      expect([up.status, up.code, up.message]).toEqual([403, 'AccessDenied', 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]']);
    });

    it('a field the policy does not cover -> 403 AccessDenied "Extra input fields"', async () => {
      const up = await uploadWithFetch(boto.extra, file, { 'x-amz-meta-added': 'later' });
      expect([up.status, up.code, up.message]).toEqual([403, 'AccessDenied', 'Invalid according to Policy: Extra input fields: x-amz-meta-added']);
    });

    it('posted to another bucket than the policy names -> 403 AccessDenied', async () => {
      const form = boto.bucket;
      const up = await uploadWithFetch(form, file, {}, `${s.url}/${OTHER}`);
      expect([up.status, up.code, up.message]).toEqual([403, 'AccessDenied', `Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "${BUCKET}"]`]);
      expect(await exists('v/bucket.txt', OTHER)).toBe(false);
    });

    it('a tampered signature -> 403 SignatureDoesNotMatch', async () => {
      const form = boto.signature;
      const up = await uploadWithFetch(form, file, { signature: Buffer.alloc(20).toString('base64') });
      expect([up.status, up.code]).toEqual([403, 'SignatureDoesNotMatch']);
    });
  });
});

describe('@aws-sdk/s3-presigned-post createPresignedPost', () => {
  it('fetch + FormData uploads; capitalised X-Amz-* fields and the bucket field are accepted', async () => {
    const { url, fields } = await createPresignedPost(root, {
      Bucket: BUCKET,
      Key: 'js/${filename}',
      Conditions: [['starts-with', '$key', 'js/'], ['content-length-range', 0, 1_000_000], ['starts-with', '$Content-Type', 'text/']],
      Fields: { 'Content-Type': 'text/plain; charset=utf-8', 'x-amz-meta-tool': 'js-v3' },
      Expires: 600,
    });
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['bucket', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'Policy', 'X-Amz-Signature']));
    const bytes = Buffer.from('héllo from the JS SDK\n');
    const up = await uploadWithFetch({ url, fields }, { name: 'note.txt', bytes, type: 'text/plain' });
    expect(up.status, up.text).toBe(204);
    expect(up.headers.get('etag')).toBe(`"${md5(bytes)}"`);
    const got = await getObject('js/note.txt');
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(got.contentType).toBe('text/plain; charset=utf-8');
    expect(got.metadata).toEqual({ tool: 'js-v3' });
  });

  it('content-length-range violated -> 400 EntityTooLarge; nothing stored', async () => {
    const { url, fields } = await createPresignedPost(root, { Bucket: BUCKET, Key: 'js/too-big.bin', Conditions: [['content-length-range', 0, 1024]] });
    const up = await uploadWithFetch({ url, fields }, { name: 'big.bin', bytes: randomBytes(64 * 1024) });
    expect([up.status, up.code]).toEqual([400, 'EntityTooLarge']);
    expect(await exists('js/too-big.bin')).toBe(false);
  });
});

describe('curl -F', () => {
  it('a 2 MiB file (curl sends Expect: 100-continue) is answered 100 at once and stored; nothing left in tmp/', async () => {
    const form = boto.curl;
    const bytes = randomBytes(2 * 1024 * 1024);
    const path = join(work, 'big.bin');
    writeFileSync(path, bytes);
    const args = ['-s', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', '--expect100-timeout', '20'];
    for (const [name, value] of Object.entries(form.fields)) args.push('--form-string', `${name}=${value}`);
    args.push('-F', `file=@${path}`, form.url);
    const r = spawnSync('curl', args, { encoding: 'utf8', timeout: 60_000 });
    const [code, seconds] = r.stdout.trim().split(' ');
    expect(code).toBe('204');
    // Had signet not answered "100 Continue", curl would have waited the 20 s timeout.
    expect(Number(seconds)).toBeLessThan(10);
    expect((await getObject('curl/big.bin')).bytes.equals(bytes)).toBe(true);
    expect(readdirSync(join(s.dataDir, 'tmp'))).toEqual([]);
  });
});
