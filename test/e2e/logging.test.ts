/**
 * The server's one line per request: as text by default, as JSON with --log-format json
 * (SIGNET_LOG_FORMAT), none with --quiet. Whatever the format, the output never holds a
 * signature (header, presigned SigV4 and SigV2, POST policy) or a secret, even for refusals.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignV2Url } from '../../src/sigv2/sign-request.ts';
import { REGION, ROOT_KEY, ROOT_SECRET, runCli, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

const TEXT_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ([A-Z]+) (\/\S*) (\d{3})(?: ([A-Za-z]+))? (\d+(?:\.\d+)?)ms$/;

/** What a run of requests leaves behind that must never be printed. */
interface Exercise {
  secrets: string[];
  signatures: string[];
  /** x-amz-request-id of the presigned GET, to find its JSON line */
  presignedGetRequestId: string;
  tokenKeyId: string;
}

/**
 * Valid and refused requests of every kind: SDK header-signed PUT and GET, a missing key,
 * presigned SigV4 (valid, tampered), presigned SigV2, a POST policy upload, a wrong secret.
 */
async function exercise(s: SpawnedServer, bucket: string): Promise<Exercise> {
  const signatures: string[] = [];
  const token = JSON.parse(s.cli(['token', 'create', '--name', 'logger', '--access', 'read-write', '--json']).stdout) as {
    accessKeyId: string;
    secretAccessKey: string;
  };
  const wrongSecret = 'wrong-secret-never-printed-0123';
  const client = (accessKeyId: string, secretAccessKey: string) => {
    const c = new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId, secretAccessKey } });
    // after signing: record every signature the SDK sends
    c.middlewareStack.add(
      (next) => async (args) => {
        const auth = (args.request as { headers: Record<string, string> }).headers.authorization ?? '';
        const m = /Signature=([0-9a-f]{64})/.exec(auth);
        if (m) signatures.push(m[1]!);
        return next(args);
      },
      { step: 'deserialize', name: 'recordSignature' },
    );
    return c;
  };
  const root = client(ROOT_KEY, ROOT_SECRET);
  const tokenClient = client(token.accessKeyId, token.secretAccessKey);

  expect(s.cli(['bucket', 'create', bucket]).status).toBe(0);
  await root.send(new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: 'hello' }));
  await (await tokenClient.send(new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }))).Body!.transformToString();
  await expect(root.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing.txt' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
  await expect(client(token.accessKeyId, wrongSecret).send(new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }))).rejects.toMatchObject({
    name: 'SignatureDoesNotMatch',
  });

  const presigned = await getSignedUrl(tokenClient, new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }), { expiresIn: 600 });
  signatures.push(new URL(presigned).searchParams.get('X-Amz-Signature')!);
  const ok = await fetch(presigned);
  expect(ok.status).toBe(200);
  const presignedGetRequestId = ok.headers.get('x-amz-request-id')!;
  const tampered = presigned.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === 'a' ? 'b' : 'a'}`);
  signatures.push(new URL(tampered).searchParams.get('X-Amz-Signature')!);
  expect((await fetch(tampered)).status).toBe(403);

  const host = new URL(s.url).host;
  const v2 = presignV2Url(
    { method: 'GET', rawPath: `/${bucket}/hello.txt`, rawQuery: '', headers: { host: [host] } },
    { accessKeyId: token.accessKeyId, secretAccessKey: token.secretAccessKey },
    Math.floor(Date.now() / 1000) + 600,
  );
  signatures.push(v2.signature, encodeURIComponent(v2.signature));
  expect((await fetch(`${s.url}/${bucket}/hello.txt?${v2.rawQuery}`)).status).toBe(200);

  const post = await createPresignedPost(root, { Bucket: bucket, Key: 'form/${filename}', Expires: 600 });
  signatures.push(post.fields['X-Amz-Signature']!);
  const form = new FormData();
  for (const [k, v] of Object.entries(post.fields)) form.append(k, v);
  form.append('file', new Blob(['posted']), 'posted.txt');
  expect((await fetch(post.url, { method: 'POST', body: form })).status).toBe(204);

  expect(signatures.filter((x) => /^[0-9a-f]{64}$/.test(x)).length).toBeGreaterThanOrEqual(7);
  return { secrets: [ROOT_SECRET, token.secretAccessKey, wrongSecret], signatures, presignedGetRequestId, tokenKeyId: token.accessKeyId };
}

function requestLines(output: string): string[] {
  return output.split('\n').filter((l) => l !== '' && !l.startsWith('signet'));
}

function expectNoSecretOrSignature(output: string, e: Exercise): void {
  for (const secret of e.secrets) expect(output, 'a secret was printed').not.toContain(secret);
  for (const sig of e.signatures) expect(output, `a signature was printed: ${sig}`).not.toContain(sig);
  expect(output).not.toMatch(/X-Amz-Signature|Signature=|Policy|\?/);
}

describe('request log lines', () => {
  let text: SpawnedServer;
  let json: SpawnedServer;
  let quiet: SpawnedServer;
  let textRun: Exercise;
  let jsonRun: Exercise;

  beforeAll(async () => {
    [text, json, quiet] = await Promise.all([
      startSignet(),
      startSignet({ env: { SIGNET_LOG_FORMAT: 'json' } }),
      startSignet({ args: ['--quiet'] }),
    ]);
    textRun = await exercise(text, 'logs');
    jsonRun = await exercise(json, 'logs');
    await exercise(quiet, 'logs');
    // let the last lines reach the pipes
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await Promise.all([text, json, quiet].map((s) => s?.stop()));
  });

  it('text: one line per request with time, method, path without the query, status, S3 code and ms', () => {
    const lines = requestLines(text.output());
    expect(lines).toHaveLength(8); // one per request exercise() sends
    for (const line of lines) expect(line).toMatch(TEXT_LINE);
    const summary = lines.map((l) => {
      const m = TEXT_LINE.exec(l)!;
      return [m[2], m[3], m[4], m[5] ?? ''].join(' ').trim();
    });
    expect(summary).toEqual(
      expect.arrayContaining([
        'PUT /logs/hello.txt 200',
        'GET /logs/hello.txt 200',
        'GET /logs/missing.txt 404 NoSuchKey',
        'GET /logs/hello.txt 403 SignatureDoesNotMatch',
        'POST /logs 204',
      ]),
    );
  });

  it('text: no signature and no secret anywhere in the output', () => {
    expectNoSecretOrSignature(text.output(), textRun);
  });

  it('--log-format json (SIGNET_LOG_FORMAT=json): one object per line with exactly the documented fields', () => {
    const lines = requestLines(json.output());
    expect(lines).toHaveLength(8); // one per request exercise() sends
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(['time', 'method', 'path', 'status', 'code', 'ms', 'requestId', 'accessKeyId', 'operation']);
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof r.ms).toBe('number');
      expect(r.path).not.toContain('?');
    }
    const presignedGet = records.find((r) => r.requestId === jsonRun.presignedGetRequestId);
    expect(presignedGet).toMatchObject({
      method: 'GET',
      path: '/logs/hello.txt',
      status: 200,
      code: null,
      accessKeyId: jsonRun.tokenKeyId,
      operation: 'GetObject',
    });
    expect(records).toContainEqual(expect.objectContaining({ method: 'GET', path: '/logs/missing.txt', status: 404, code: 'NoSuchKey', accessKeyId: ROOT_KEY }));
    expect(records).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/logs/hello.txt', status: 403, code: 'SignatureDoesNotMatch', accessKeyId: jsonRun.tokenKeyId }),
    );
    expect(records).toContainEqual(expect.objectContaining({ method: 'POST', path: '/logs', status: 204, operation: 'PostObject' }));
  });

  it('json: no signature and no secret anywhere in the output', () => {
    expectNoSecretOrSignature(json.output(), jsonRun);
  });

  it('--quiet: the banner and the ready line, no line per request', () => {
    expect(quiet.output()).toContain('signet listening on');
    expect(requestLines(quiet.output())).toEqual([]);
  });

  it('an unknown --log-format is bad usage: exit 2', () => {
    const r = runCli(['serve', '--port', '0', '--log-format', 'yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('yaml');
  });
});
