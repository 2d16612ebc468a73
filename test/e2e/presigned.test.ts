/**
 * Presigned URLs made by the real clients (JS v3 presigner, boto3 with SigV2 by default and
 * with s3v4, `aws s3 presign`), used with fetch and curl as apps do: every accepted request
 * round-trips exact bytes, every tampered part is refused with S3's status, code and elements.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorElementNames, parseErrorXml } from '../helpers/s3-xml.ts';
import { makeTempDir, REGION, ROOT_KEY, ROOT_SECRET, runPython, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

let s: SpawnedServer;
let root: S3Client;
let work: string;

function clientFor(accessKeyId: string, secretAccessKey: string) {
  return new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
}

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const body = Buffer.from(await res.arrayBuffer());
  const text = body.toString('utf8');
  return { status: res.status, body, text, headers: res.headers, error: text.includes('<Error>') ? parseErrorXml(text) : undefined };
}

function curl(args: string[]) {
  const r = spawnSync('curl', ['-s', '-o', '-', '-w', '\n%{http_code}', ...args], { encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.split('\n');
  const status = Number(lines.pop());
  return { status, text: lines.join('\n') };
}

function boto(script: string, signatureVersion: 's3' | 's3v4' | 'default', akid = ROOT_KEY, secret = ROOT_SECRET): string {
  const cfg = signatureVersion === 'default' ? 'Config()' : `Config(signature_version="${signatureVersion}")`;
  const r = runPython(
    `
import sys, boto3
from botocore.config import Config
endpoint, akid, secret = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=akid, aws_secret_access_key=secret, region_name="${REGION}", config=${cfg})
${script}
`,
    [s.url, akid, secret],
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

function tamper(url: string, param: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(param, value);
  return u.toString();
}

beforeAll(async () => {
  s = await startSignet();
  root = clientFor(ROOT_KEY, ROOT_SECRET);
  work = makeTempDir('signet-presign-');
  await root.send(new CreateBucketCommand({ Bucket: 'pre' }));
  await root.send(new CreateBucketCommand({ Bucket: 'other' }));
  await root.send(new PutObjectCommand({ Bucket: 'pre', Key: 'hello.txt', Body: 'hello presigned' }));
  await root.send(new PutObjectCommand({ Bucket: 'other', Key: 'hello.txt', Body: 'other bucket' }));
});
afterAll(async () => {
  await s.stop();
});

describe('JS v3 presigner', () => {
  it('GET URL returns the bytes; HEAD with a HEAD URL works', async () => {
    const url = await getSignedUrl(root, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), { expiresIn: 300 });
    const r = await call(url);
    expect(r.status).toBe(200);
    expect(r.text).toBe('hello presigned');
    const head = await getSignedUrl(root, new HeadObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), { expiresIn: 300 });
    expect((await call(head, { method: 'HEAD' })).status).toBe(200);
  });

  it('PUT URL without signed content-type accepts any Content-Type and stores the exact bytes', async () => {
    const url = await getSignedUrl(root, new PutObjectCommand({ Bucket: 'pre', Key: 'put/any.bin' }), { expiresIn: 300 });
    const body = randomBytes(100_000);
    const r = await call(url, { method: 'PUT', body, headers: { 'content-type': 'image/png' } });
    expect(r.status).toBe(200);
    const got = await root.send(new GetObjectCommand({ Bucket: 'pre', Key: 'put/any.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.ContentType).toBe('image/png');
  });

  it('the empty-body CRC32 the presigner bakes into PUT URLs is signed but not checked against the body (as on AWS)', async () => {
    const url = await getSignedUrl(root, new PutObjectCommand({ Bucket: 'pre', Key: 'put/crc.bin' }), { expiresIn: 300 });
    // The SDK in the lock file (>= 3.729) bakes in the CRC32 of an empty body.
    expect(new URL(url).searchParams.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
    const r = await call(url, { method: 'PUT', body: 'not empty' });
    expect(r.status).toBe(200);
    const changed = tamper(url, 'x-amz-checksum-crc32', 'AAAAAB==');
    expect((await call(changed, { method: 'PUT', body: 'not empty' })).error?.Code).toBe('SignatureDoesNotMatch');
  });

  it('PUT URL with signed content-type accepts only that exact value', async () => {
    const url = await getSignedUrl(root, new PutObjectCommand({ Bucket: 'pre', Key: 'put/typed.png', ContentType: 'image/png' }), {
      expiresIn: 300,
      signableHeaders: new Set(['content-type']),
    });
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    expect((await call(url, { method: 'PUT', body: 'png', headers: { 'content-type': 'image/png' } })).status).toBe(200);
    const wrong = await call(url, { method: 'PUT', body: 'png', headers: { 'content-type': 'image/jpeg' } });
    expect(wrong.status).toBe(403);
    expect(wrong.error?.Code).toBe('SignatureDoesNotMatch');
  });

  it('hoisted x-amz-meta-* query parameters become object metadata, as on AWS', async () => {
    const url = await getSignedUrl(root, new PutObjectCommand({ Bucket: 'pre', Key: 'put/meta.txt', Metadata: { color: 'blue' } }), { expiresIn: 300 });
    expect(new URL(url).searchParams.get('x-amz-meta-color')).toBe('blue');
    expect((await call(url, { method: 'PUT', body: 'm' })).status).toBe(200);
    const head = await root.send(new HeadObjectCommand({ Bucket: 'pre', Key: 'put/meta.txt' }));
    expect(head.Metadata).toEqual({ color: 'blue' });
  });

  it('response-* overrides are signed and honoured', async () => {
    const url = await getSignedUrl(
      root,
      new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt', ResponseContentDisposition: 'attachment; filename="x.txt"', ResponseContentType: 'text/x-test' }),
      { expiresIn: 300 },
    );
    const r = await call(url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="x.txt"');
    expect(r.headers.get('content-type')).toBe('text/x-test');
    const changed = tamper(url, 'response-content-type', 'text/html');
    expect((await call(changed)).error?.Code).toBe('SignatureDoesNotMatch');
  });

  it('curl uploads through a presigned PUT URL as the README shows', async () => {
    const url = await getSignedUrl(root, new PutObjectCommand({ Bucket: 'pre', Key: 'curl/up.png' }), { expiresIn: 300 });
    const file = join(work, 'up.png');
    const data = randomBytes(50_000);
    writeFileSync(file, data);
    const r = curl(['-X', 'PUT', url, '-H', 'Content-Type: image/png', '--data-binary', `@${file}`]);
    expect(r.status).toBe(200);
    const got = await root.send(new GetObjectCommand({ Bucket: 'pre', Key: 'curl/up.png' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
  });
});

describe('multipart uploads through presigned URLs', () => {
  it('UploadPart and CompleteMultipartUpload URLs upload parts and complete the object', async () => {
    const { UploadId } = await root.send(new CreateMultipartUploadCommand({ Bucket: 'pre', Key: 'mp/presigned.bin' }));
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(777)];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const url = await getSignedUrl(root, new UploadPartCommand({ Bucket: 'pre', Key: 'mp/presigned.bin', UploadId, PartNumber: i + 1 }), {
        expiresIn: 300,
      });
      const r = await call(url, { method: 'PUT', body });
      expect(r.status).toBe(200);
      etags.push(r.headers.get('etag')!);
    }
    const completeUrl = await getSignedUrl(root, new CompleteMultipartUploadCommand({ Bucket: 'pre', Key: 'mp/presigned.bin', UploadId }), {
      expiresIn: 300,
    });
    const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const done = await call(completeUrl, { method: 'POST', body: xml });
    expect(done.status).toBe(200);
    expect(done.text).toContain('<CompleteMultipartUploadResult');
    const got = await root.send(new GetObjectCommand({ Bucket: 'pre', Key: 'mp/presigned.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
  });
});

describe('every tampered part of a SigV4 URL is refused', () => {
  let url: string;
  beforeAll(async () => {
    url = await getSignedUrl(root, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), { expiresIn: 300 });
  });

  const mismatch = (make: (u: string) => string | Promise<string>, init?: RequestInit) => async () => {
    const r = await call(await make(url), init);
    expect(r.status).toBe(403);
    expect(r.error?.Code).toBe('SignatureDoesNotMatch');
    expect(r.error?.CanonicalRequest).toBeDefined();
    expect(r.error?.StringToSign).toBeDefined();
  };

  it('signature', mismatch((u) => {
    const sig = new URL(u).searchParams.get('X-Amz-Signature')!;
    return tamper(u, 'X-Amz-Signature', (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
  }));
  it('key', mismatch((u) => u.replace('/pre/hello.txt', '/pre/hello.txT')));
  it('bucket', mismatch((u) => u.replace('/pre/hello.txt', '/other/hello.txt')));
  it('method (a GET URL used for DELETE)', mismatch((u) => u, { method: 'DELETE' }));
  it('expiry', mismatch((u) => tamper(u, 'X-Amz-Expires', '301')));
  it('date', mismatch((u) => {
    const d = new URL(u).searchParams.get('X-Amz-Date')!;
    return tamper(u, 'X-Amz-Date', d.slice(0, 13) + ((Number(d[13]) + 1) % 6) + d.slice(14));
  }));
  it('host (signed for 127.0.0.1:PORT, sent with Host: localhost:PORT)', async () => {
    const r = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(url, { headers: { host: `localhost:${s.port}` } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(r.status).toBe(403);
    expect(parseErrorXml(r.text).Code).toBe('SignatureDoesNotMatch');
    expect(parseErrorXml(r.text).CanonicalRequest).toContain(`host:localhost:${s.port}`);
  });
  it('an added query parameter', mismatch((u) => `${u}&x-extra=1`));

  it('credential (another access key id) -> 403 InvalidAccessKeyId', async () => {
    const cred = new URL(url).searchParams.get('X-Amz-Credential')!;
    const r = await call(tamper(url, 'X-Amz-Credential', cred.replace(ROOT_KEY, 'SGNTUNKNOWNKEY000000')));
    expect(r.status).toBe(403);
    expect(r.error?.Code).toBe('InvalidAccessKeyId');
    expect(r.error?.AWSAccessKeyId).toBe('SGNTUNKNOWNKEY000000');
  });

  it('an unsigned x-amz-* header -> 403 AccessDenied with HeadersNotSigned', async () => {
    const r = await call(url, { headers: { 'x-amz-meta-sneaky': '1' } });
    expect(r.status).toBe(403);
    expect(r.error).toMatchObject({ Code: 'AccessDenied', Message: 'There were headers present in the request which were not signed', HeadersNotSigned: 'x-amz-meta-sneaky' });
  });
});

describe('rejections answered exactly as AWS', () => {
  it('expired -> 403 AccessDenied "Request has expired" with X-Amz-Expires, Expires, ServerTime', async () => {
    const signingDate = new Date(Date.now() - 3600_000);
    const url = await getSignedUrl(root, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), { expiresIn: 60, signingDate });
    const r = await call(url);
    expect(r.status).toBe(403);
    expect(r.error).toMatchObject({ Code: 'AccessDenied', Message: 'Request has expired', 'X-Amz-Expires': '60' });
    expect(r.error?.Expires).toBe(new Date(Math.floor(signingDate.getTime() / 1000) * 1000 + 60_000).toISOString().replace('.000Z', 'Z'));
    expect(r.error?.ServerTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(errorElementNames(r.text).slice(0, 5)).toEqual(['Code', 'Message', 'X-Amz-Expires', 'Expires', 'ServerTime']);
  });

  it('X-Amz-Date in the future -> 403 AccessDenied "Request is not yet valid"', async () => {
    const url = await getSignedUrl(root, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() + 3600_000),
    });
    const r = await call(url);
    expect(r.status).toBe(403);
    expect(r.error).toMatchObject({ Code: 'AccessDenied', Message: 'Request is not yet valid' });
    expect(r.error?.['X-Amz-Date']).toMatch(/^\d{13}$/);
  });

  const queryError = (param: string, value: string | null, message: string) => async () => {
    const url = await getSignedUrl(root, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), { expiresIn: 300 });
    const u = new URL(url);
    if (value === null) u.searchParams.delete(param);
    else u.searchParams.set(param, value);
    const r = await call(u.toString());
    expect(r.status).toBe(400);
    expect(r.error).toMatchObject({ Code: 'AuthorizationQueryParametersError', Message: message });
  };
  it('X-Amz-Expires above 604800', queryError('X-Amz-Expires', '604801',
    'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds'));
  it('X-Amz-Expires negative', queryError('X-Amz-Expires', '-1', 'X-Amz-Expires must be non-negative'));
  it('X-Amz-Expires not a number', queryError('X-Amz-Expires', '21600.0', 'X-Amz-Expires should be a number'));
  it('a missing parameter', queryError('X-Amz-SignedHeaders', null,
    'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.'));
  it('a malformed date', queryError('X-Amz-Date', '2024-01-01T00:00:00Z', `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`));
  it('an unsupported algorithm', queryError('X-Amz-Algorithm', 'AWS4-HMAC-SHA512', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'));
  it('a malformed credential', queryError('X-Amz-Credential', 'nonsense',
    'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'));

  it('a wrong region -> AuthorizationQueryParametersError naming both regions, with Region', async () => {
    const c = new S3Client({ endpoint: s.url, region: 'eu-west-1', forcePathStyle: true, credentials: { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET } });
    const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), { expiresIn: 300 });
    const r = await call(url);
    expect(r.status).toBe(400);
    expect(r.error).toMatchObject({
      Code: 'AuthorizationQueryParametersError',
      Message: "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
      Region: 'us-east-1',
    });
  });

  it('host not signed -> 403 AccessDenied HeadersNotSigned host', async () => {
    const url = await getSignedUrl(root, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), { expiresIn: 300 });
    const r = await call(tamper(url, 'X-Amz-SignedHeaders', 'x-amz-date'));
    expect(r.status).toBe(403);
    expect(r.error).toMatchObject({ Code: 'AccessDenied', HeadersNotSigned: 'host' });
  });

  it('a security token (signet issues none) -> 400 InvalidToken', async () => {
    const url = await getSignedUrl(root, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), { expiresIn: 300 });
    const r = await call(`${url}&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE`);
    expect(r.status).toBe(400);
    expect(r.error?.Code).toBe('InvalidToken');
  });
});

describe('tokens: scope, revocation and expiry apply to presigned URLs', () => {
  it('a read-only token may GET but not PUT; another bucket and outside the prefix are AccessDenied', async () => {
    const t = JSON.parse(s.cli(['token', 'create', '--name', 'ro', '--access', 'read', '--bucket', 'pre', '--prefix', 'hello', '--json']).stdout);
    const c = clientFor(t.accessKeyId, t.secretAccessKey);
    expect((await call(await getSignedUrl(c, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' })))).status).toBe(200);
    for (const url of [
      await getSignedUrl(c, new PutObjectCommand({ Bucket: 'pre', Key: 'hello2.txt' })),
      await getSignedUrl(c, new GetObjectCommand({ Bucket: 'other', Key: 'hello.txt' })),
      await getSignedUrl(c, new GetObjectCommand({ Bucket: 'pre', Key: 'put/any.bin' })),
    ]) {
      const method = url.includes('x-id=PutObject') ? 'PUT' : 'GET';
      const r = await call(url, { method, body: method === 'PUT' ? 'x' : undefined });
      expect(r.status).toBe(403);
      expect(r.error).toMatchObject({ Code: 'AccessDenied', Message: 'Access Denied' });
    }
  });

  it('revoke kills every URL the token signed on the next request, while the server keeps running', async () => {
    const t = JSON.parse(s.cli(['token', 'create', '--name', 'rw', '--access', 'read-write', '--json']).stdout);
    const c = clientFor(t.accessKeyId, t.secretAccessKey);
    const get = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'pre', Key: 'hello.txt' }), { expiresIn: 3600 });
    const put = await getSignedUrl(c, new PutObjectCommand({ Bucket: 'pre', Key: 'revoked.txt' }), { expiresIn: 3600 });
    expect((await call(get)).status).toBe(200);
    expect((await call(put, { method: 'PUT', body: 'before' })).status).toBe(200);
    expect(s.cli(['token', 'revoke', t.accessKeyId]).status).toBe(0);
    for (const [url, init] of [[get, {}], [put, { method: 'PUT', body: 'after' }]] as const) {
      const r = await call(url, init);
      expect(r.status).toBe(403);
      expect(r.error?.Code).toBe('InvalidAccessKeyId');
    }
    const stored = await root.send(new GetObjectCommand({ Bucket: 'pre', Key: 'revoked.txt' }));
    expect(await stored.Body!.transformToString()).toBe('before');
    const h = await fetch(`${s.url}/_signet/health`);
    expect(h.status).toBe(200);
  });
});

describe('boto3 and the AWS CLI', () => {
  it('boto3 default (SigV2 with a custom endpoint): GET and curl PUT work, tampering is SignatureDoesNotMatch with StringToSign', async () => {
    const [get, put] = boto(
      `
print(s3.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "hello.txt"}, ExpiresIn=300))
print(s3.generate_presigned_url("put_object", Params={"Bucket": "pre", "Key": "boto/v2 file+x.bin"}, ExpiresIn=300))
`,
      'default',
    ).split('\n');
    expect(get).toContain('AWSAccessKeyId=');
    expect((await call(get!)).text).toBe('hello presigned');
    const file = join(work, 'v2.bin');
    const data = randomBytes(10_000);
    writeFileSync(file, data);
    // SigV2 signs Content-Type: the URL was signed with none, so curl must not add its default
    // (application/x-www-form-urlencoded for --data-binary), as on AWS.
    expect(curl(['-X', 'PUT', put!, '-H', 'Content-Type:', '--data-binary', `@${file}`]).status).toBe(200);
    expect(curl(['-X', 'PUT', put!, '--data-binary', `@${file}`]).status).toBe(403);
    const got = await root.send(new GetObjectCommand({ Bucket: 'pre', Key: 'boto/v2 file+x.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
    const bad = await call(get!.replace('hello.txt', 'hello.txT'));
    expect(bad.status).toBe(403);
    expect(bad.error?.Code).toBe('SignatureDoesNotMatch');
    expect(bad.error?.StringToSign).toContain('/pre/hello.txT');
    expect(bad.error?.CanonicalRequest).toBeUndefined();
  });

  it('boto3 SigV2 URL that expired -> 403 AccessDenied with Expires and ServerTime but no X-Amz-Expires', async () => {
    const url = boto(`print(s3.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "hello.txt"}, ExpiresIn=-60))`, 's3');
    const r = await call(url);
    expect(r.status).toBe(403);
    expect(r.error).toMatchObject({ Code: 'AccessDenied', Message: 'Request has expired' });
    expect(r.error?.Expires).toBeDefined();
    expect(r.error?.['X-Amz-Expires']).toBeUndefined();
  });

  it('boto3 with signature_version=s3v4: GET with response override and PUT with signed Content-Type', async () => {
    const [get, put] = boto(
      `
print(s3.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "hello.txt", "ResponseContentDisposition": "inline"}, ExpiresIn=300))
print(s3.generate_presigned_url("put_object", Params={"Bucket": "pre", "Key": "boto/v4.txt", "ContentType": "text/plain"}, ExpiresIn=300))
`,
      's3v4',
    ).split('\n');
    expect(get).toContain('X-Amz-Algorithm=AWS4-HMAC-SHA256');
    const r = await call(get!);
    expect(r.text).toBe('hello presigned');
    expect(r.headers.get('content-disposition')).toBe('inline');
    expect((await call(put!, { method: 'PUT', body: 'v4', headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    expect((await call(put!, { method: 'PUT', body: 'v4', headers: { 'content-type': 'text/html' } })).error?.Code).toBe('SignatureDoesNotMatch');
  });

  it('aws s3 presign makes a URL that downloads the object', async () => {
    const r = spawnSync('aws', ['--endpoint-url', s.url, 's3', 'presign', 's3://pre/hello.txt', '--expires-in', '300'], {
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: ROOT_KEY, AWS_SECRET_ACCESS_KEY: ROOT_SECRET, AWS_DEFAULT_REGION: REGION, AWS_CONFIG_FILE: join(work, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(work, 'none') },
    });
    expect(r.status).toBe(0);
    const got = await call(r.stdout.trim());
    expect(got.status).toBe(200);
    expect(got.text).toBe('hello presigned');
  });
});
