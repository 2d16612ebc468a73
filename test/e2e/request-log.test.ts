/**
 * The request log of a real `signet serve`: after a run of accepted and refused requests
 * signed every way clients sign (SigV4 presigned and header, SigV2 presigned and header, POST
 * forms v4 and v2, aws-chunked bodies, the JS presigner and boto3), no signature used (provided
 * or expected) appears anywhere in the data directory (every file read as bytes: the database,
 * its WAL, the blobs), in the server's output, in GET /_signet/requests or in `signet log`.
 * The token secrets live in the database by design (they verify requests); they must not
 * appear in the log's rows, the server's output or what the log commands print.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoggedRequest } from '../../src/log/request-log.ts';
import { createPresignedPost } from '../../src/policy/presigned-post.ts';
import { presignV2Url, signV2Headers } from '../../src/sigv2/sign-request.ts';
import { presignUrl, signRequest } from '../../src/sigv4/sign.ts';
import { deriveSigningKey, sha256Hex } from '../../src/sigv4/signing-key.ts';
import { encodeSigned } from '../unit/chunked/encoder.ts';
import { BIN, makeTempDir, PROJECT_ROOT, REGION, ROOT_KEY, ROOT_SECRET, runCli, runPython, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

let s: SpawnedServer;
let dataDir: string;
let token: { accessKeyId: string; secretAccessKey: string };
const BUCKET = 'siglog';
/** Every signature the run used: provided by a client, or expected by the server for a refused one. */
const signatures = new Set<string>();
/** How many S3 requests the run made (each must be logged). */
let sent = 0;
const refusedIds: string[] = [];

function use(...values: string[]): void {
  for (const v of values) {
    expect(v.length).toBeGreaterThanOrEqual(20);
    signatures.add(v);
  }
}

async function call(url: string, init: RequestInit = {}): Promise<Response> {
  sent++;
  const res = await fetch(url, init);
  await res.arrayBuffer();
  if (res.status >= 400) refusedIds.push(res.headers.get('x-amz-request-id')!);
  return res;
}

function flip(hex: string): string {
  return hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
}

function v4Creds(secretAccessKey = ROOT_SECRET) {
  return { accessKeyId: ROOT_KEY, secretAccessKey, region: REGION };
}

/** Host header as fetch sends it for the server URL. */
function hostOf(url: string): string {
  return new URL(url).host;
}

async function sigv4Presigned(): Promise<void> {
  const now = new Date();
  const url = presignUrl({ method: 'GET', url: `${s.url}/${BUCKET}/hello.txt`, now, expiresIn: 300, ...v4Creds() });
  const sig = new URL(url).searchParams.get('X-Amz-Signature')!;
  use(sig);
  expect((await call(url)).status).toBe(200);
  // Tampered signature: the server computes (and must not log) the original as "expected".
  const other = randomBytes(32).toString('hex');
  use(other);
  expect((await call(url.replace(sig, other))).status).toBe(403);
  // Signed for one key, used for another: the expected signature is the one for the other key.
  const forOther = presignUrl({ method: 'GET', url: `${s.url}/${BUCKET}/other.txt`, now, expiresIn: 300, ...v4Creds() });
  use(new URL(forOther).searchParams.get('X-Amz-Signature')!);
  expect((await call(url.replace('/hello.txt', '/other.txt'))).status).toBe(403);
  // Wrong secret.
  const wrong = presignUrl({ method: 'GET', url: `${s.url}/${BUCKET}/hello.txt`, now, expiresIn: 300, ...v4Creds('wrong-secret-0000000000') });
  use(new URL(wrong).searchParams.get('X-Amz-Signature')!);
  expect((await call(wrong)).status).toBe(403);
  // A token's URL, refused after the token's scope (read-only token, PUT).
  const put = presignUrl({ method: 'PUT', url: `${s.url}/${BUCKET}/denied.txt`, now, expiresIn: 300, accessKeyId: token.accessKeyId, secretAccessKey: token.secretAccessKey, region: REGION });
  use(new URL(put).searchParams.get('X-Amz-Signature')!);
  expect((await call(put, { method: 'PUT', body: 'x' })).status).toBe(403);
}

async function sigv4Header(): Promise<void> {
  const body = 'header-signed body';
  const ok = signRequest({ method: 'PUT', url: `${s.url}/${BUCKET}/header.txt`, payloadHash: sha256Hex(body), now: new Date(), ...v4Creds() });
  use(ok.signature);
  expect((await call(`${s.url}/${BUCKET}/header.txt`, { method: 'PUT', headers: ok.headers, body })).status).toBe(200);
  const now = new Date();
  const bad = signRequest({ method: 'GET', url: `${s.url}/${BUCKET}/header.txt`, payloadHash: 'UNSIGNED-PAYLOAD', now, ...v4Creds('wrong-secret-0000000000') });
  const expected = signRequest({ method: 'GET', url: `${s.url}/${BUCKET}/header.txt`, payloadHash: 'UNSIGNED-PAYLOAD', now, ...v4Creds() });
  use(bad.signature, expected.signature);
  expect((await call(`${s.url}/${BUCKET}/header.txt`, { headers: bad.headers })).status).toBe(403);
  // An Authorization header the parser refuses keeps its text in the trace.
  const mangled = `${bad.headers.authorization!.replace('SignedHeaders=', 'SignedHeader=')}`;
  expect((await call(`${s.url}/${BUCKET}/header.txt`, { headers: { ...bad.headers, authorization: mangled } })).status).toBe(400);
}

async function sigv2(): Promise<void> {
  const base = { method: 'GET', rawPath: `/${BUCKET}/hello.txt`, rawQuery: '', headers: { host: [hostOf(s.url)] } };
  const expires = Math.floor(Date.now() / 1000) + 300;
  const ok = presignV2Url(base, { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET }, expires);
  use(ok.signature);
  expect((await call(`${s.url}${base.rawPath}?${ok.rawQuery}`)).status).toBe(200);
  const bad = presignV2Url(base, { accessKeyId: ROOT_KEY, secretAccessKey: 'wrong-secret-0000000000' }, expires);
  use(bad.signature);
  expect((await call(`${s.url}${base.rawPath}?${bad.rawQuery}`)).status).toBe(403);

  const date = new Date().toUTCString();
  const dated = { ...base, headers: { ...base.headers, date: [date] } };
  const header = signV2Headers(dated, { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET });
  use(header.signature);
  expect((await call(`${s.url}${base.rawPath}`, { headers: { date, authorization: header.authorization } })).status).toBe(200);
  const wrongHeader = signV2Headers(dated, { accessKeyId: ROOT_KEY, secretAccessKey: 'wrong-secret-0000000000' });
  use(wrongHeader.signature);
  expect((await call(`${s.url}${base.rawPath}`, { headers: { date, authorization: wrongHeader.authorization } })).status).toBe(403);
}

async function realClients(): Promise<void> {
  const client = new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, credentials: { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET } });
  const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'hello.txt' }), { expiresIn: 300 });
  use(new URL(url).searchParams.get('X-Amz-Signature')!);
  expect((await call(url)).status).toBe(200);
  expect((await call(url.replace('hello.txt', 'hello.txx'))).status).toBe(403);
  client.destroy();

  // boto3 with a custom endpoint signs SigV2 by default; with s3v4, SigV4.
  const r = runPython(
    `
import sys, boto3
from botocore.config import Config
endpoint, akid, secret, bucket = sys.argv[1:5]
for cfg in (Config(), Config(signature_version="s3v4")):
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=akid, aws_secret_access_key=secret, region_name="${REGION}", config=cfg)
    print(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "hello.txt"}, ExpiresIn=300))
`,
    [s.url, ROOT_KEY, ROOT_SECRET, BUCKET],
  );
  expect(r.status, r.stderr).toBe(0);
  const [v2, v4] = r.stdout.trim().split('\n') as [string, string];
  use(new URL(v2).searchParams.get('Signature')!, new URL(v4).searchParams.get('X-Amz-Signature')!);
  expect((await call(v2)).status).toBe(200);
  expect((await call(v4)).status).toBe(200);
  expect((await call(v4.replace('hello.txt', 'missing.txt'))).status).toBe(403);
}

async function postForms(): Promise<void> {
  for (const signatureVersion of ['v4', 'v2'] as const) {
    const post = createPresignedPost({ bucket: BUCKET, key: `form-${signatureVersion}.txt`, accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET, region: REGION, now: new Date(), expiresIn: 300, signatureVersion });
    const field = signatureVersion === 'v4' ? 'x-amz-signature' : 'signature';
    const signature = post.fields[field]!;
    use(signature);
    const send = (fields: Record<string, string>) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', new Blob(['form body']), 'f.txt');
      return call(`${s.url}/${BUCKET}`, { method: 'POST', body: form });
    };
    expect((await send(post.fields)).status).toBe(204);
    const other = signatureVersion === 'v4' ? randomBytes(32).toString('hex') : randomBytes(20).toString('base64');
    use(other);
    expect((await send({ ...post.fields, [field]: other })).status).toBe(403);
  }
}

async function awsChunked(): Promise<void> {
  const chunks = [Buffer.alloc(70_000, 'a'), Buffer.alloc(1000, 'b')];
  const decodedLength = chunks.reduce((n, c) => n + c.length, 0);
  for (const tamper of [false, true]) {
    const now = new Date();
    const signed = signRequest({
      method: 'PUT',
      url: `${s.url}/${BUCKET}/chunked-${tamper}.bin`,
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(decodedLength) },
      payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      now,
      ...v4Creds(),
    });
    const amzDate = signed.headers['x-amz-date']!;
    const encoded = encodeSigned(chunks, {
      signingKey: deriveSigningKey(ROOT_SECRET, amzDate.slice(0, 8), REGION, 's3'),
      amzDate,
      scope: `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`,
      seedSignature: signed.signature,
    });
    use(signed.signature, ...encoded.signatures);
    let body = encoded.body;
    if (tamper) {
      // The second chunk's signature is wrong: the first chunk's (correct) one is its previous.
      const second = encoded.signatures[1]!;
      const wrong = flip(second);
      use(wrong);
      body = Buffer.from(body.toString('latin1').replace(second, wrong), 'latin1');
    }
    const { host: _host, ...headers } = signed.headers;
    const res = await call(`${s.url}/${BUCKET}/chunked-${tamper}.bin`, { method: 'PUT', headers, body });
    expect(res.status).toBe(tamper ? 403 : 200);
  }
}

/** Every file under dir, read as bytes. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

/** The forms a signature takes in text: as is, and URL-encoded (a SigV2 base64 one in a query). */
function encodingsOf(signature: string): string[] {
  return [...new Set([signature, encodeURIComponent(signature)])];
}

function findSignatures(label: string, bytes: Buffer): string[] {
  const found: string[] = [];
  for (const sig of signatures) for (const form of encodingsOf(sig)) if (bytes.includes(Buffer.from(form))) found.push(`${label}: ${form}`);
  return found;
}

/** A GET on a fresh connection (the CLI runs between calls can outlast a kept-alive one). */
function plainGet(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
}

async function logged(query = ''): Promise<LoggedRequest[]> {
  const r = await plainGet(`${s.url}/_signet/requests${query}`);
  expect(r.status, r.text).toBe(200);
  return (JSON.parse(r.text) as { requests: LoggedRequest[] }).requests;
}

beforeAll(async () => {
  dataDir = makeTempDir('signet-reqlog-');
  s = await startSignet({ dataDir });
  expect(s.cli(['bucket', 'create', BUCKET]).status).toBe(0);
  token = JSON.parse(s.cli(['token', 'create', '--name', 'reader', '--access', 'read', '--bucket', BUCKET, '--json']).stdout);
  const put = signRequest({ method: 'PUT', url: `${s.url}/${BUCKET}/hello.txt`, payloadHash: sha256Hex('hello'), now: new Date(), ...v4Creds() });
  use(put.signature);
  expect((await call(`${s.url}/${BUCKET}/hello.txt`, { method: 'PUT', headers: put.headers, body: 'hello' })).status).toBe(200);
  await sigv4Presigned();
  await sigv4Header();
  await sigv2();
  await realClients();
  await postForms();
  await awsChunked();
}, 180_000);

afterAll(async () => {
  if (s) await s.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the request log records every answered request', () => {
  it('one row per S3 request, each refusal with its code and redacted steps', async () => {
    const rows = await logged('?limit=10000');
    expect(rows).toHaveLength(sent);
    const byId = new Map(rows.map((r) => [r.requestId, r]));
    for (const id of refusedIds) {
      const row = byId.get(id)!;
      expect(row, id).toBeDefined();
      expect(row.status).toBeGreaterThanOrEqual(400);
      expect(row.errorCode).toBeTruthy();
      expect(row.steps?.some((st) => !st.ok), `${row.path} ${row.errorCode}`).toBe(true);
    }
    const mismatch = rows.find((r) => r.errorCode === 'SignatureDoesNotMatch' && r.authKind === 'sigv4-query')!;
    expect(mismatch.steps!.find((st) => st.name === 'signature')!.detail).toMatchObject({ signatureProvided: '[redacted]', signatureExpected: '[redacted]' });
    const chunk = rows.find((r) => r.path === `/${BUCKET}/chunked-true.bin`)!;
    expect(chunk.errorCode).toBe('SignatureDoesNotMatch');
    expect(chunk.steps!.at(-1)).toMatchObject({ name: 'payload', ok: false });
    expect(rows.map((r) => r.authKind)).toEqual(expect.arrayContaining(['sigv4-query', 'sigv4-header', 'sigv2-query', 'sigv2-header', 'post-sigv4', 'post-sigv2']));
  });

  it('an accepted request, a browser POST upload among them, is logged without steps (the README: steps for refusals)', async () => {
    const accepted = (await logged('?limit=10000')).filter((r) => r.status < 300);
    const posts = accepted.filter((r) => r.authKind === 'post-sigv4' || r.authKind === 'post-sigv2');
    expect(posts.length).toBeGreaterThan(0);
    expect(accepted.filter((r) => r.steps !== null).map((r) => `${r.method} ${r.path} ${r.authKind}`)).toEqual([]);
  });
});

describe('no signature is ever stored or printed', () => {
  it('while the server runs: no file of the data directory (database, WAL, blobs) holds one', async () => {
    await logged(); // flushes the log writer's buffer
    const files = filesUnder(dataDir);
    expect(files.map((f) => f.path.slice(dataDir.length))).toEqual(expect.arrayContaining(['/signet.db', '/signet.db-wal']));
    const found = files.flatMap((f) => findSignatures(f.path, f.bytes));
    expect(found).toEqual([]);
    expect(signatures.size).toBeGreaterThan(25);
  });

  it('GET /_signet/requests, the server output and signet log (text and --json) hold none, nor any secret', async () => {
    const api = Buffer.from(JSON.stringify(await logged('?limit=10000')));
    const text = s.cli(['log', '--limit', '10000']);
    const json = s.cli(['log', '--json', '--limit', '10000']);
    expect(text.status).toBe(0);
    expect(json.status).toBe(0);
    const outputs: Array<[string, Buffer]> = [
      ['/_signet/requests', api],
      ['server output', Buffer.from(s.output())],
      ['signet log', Buffer.from(text.stdout + text.stderr)],
      ['signet log --json', Buffer.from(json.stdout + json.stderr)],
    ];
    expect(outputs.flatMap(([label, bytes]) => findSignatures(label, bytes))).toEqual([]);
    for (const [label, bytes] of outputs) {
      expect(bytes.includes(Buffer.from(ROOT_SECRET)), label).toBe(false);
      expect(bytes.includes(Buffer.from(token.secretAccessKey)), label).toBe(false);
    }
  });

  it("the log's rows hold no secret (the tokens table holds them by design)", () => {
    const db = new Database(join(dataDir, 'signet.db'), { readonly: true });
    const dump = JSON.stringify(db.prepare('SELECT * FROM request_log').all());
    db.close();
    expect(dump).not.toContain(ROOT_SECRET);
    expect(dump).not.toContain(token.secretAccessKey);
  });
});

describe('signet log', () => {
  it('--json: one document, newest first, the same rows as GET /_signet/requests', async () => {
    const r = s.cli(['log', '--json', '--limit', '3']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { requests: LoggedRequest[] };
    expect(doc.requests).toEqual(await logged('?limit=3'));
    expect(doc.requests[0]!.id).toBeGreaterThan(doc.requests[1]!.id);
  });

  it('--status and --bucket filter as the HTTP query does', async () => {
    const doc = JSON.parse(s.cli(['log', '--json', '--status', '4xx', '--bucket', BUCKET, '--limit', '10000']).stdout) as { requests: LoggedRequest[] };
    expect(doc.requests.map((r) => r.requestId)).toEqual((await logged(`?status=4xx&bucket=${BUCKET}&limit=10000`)).map((r) => r.requestId));
    expect(doc.requests.every((r) => r.status >= 400 && r.status < 500)).toBe(true);
  });

  it('text: one line per request, oldest first, the refusal with the step that failed', async () => {
    const latest = (await logged('?limit=2')).reverse();
    const lines = s.cli(['log', '--limit', '2']).stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    lines.forEach((line, i) => expect(line.startsWith(`${latest[i]!.time} ${latest[i]!.method} ${latest[i]!.path} ${latest[i]!.status}`)).toBe(true));
    const refused = s.cli(['log', '--status', '403', '--limit', '1']).stdout.trim();
    expect(refused).toMatch(/ 403 \S+ [\d.]+ms .* failed at \w[\w-]*: /);
  });

  it('bad usage (--limit 0, --status 4x) exits 2; a directory without a database exits 1', () => {
    expect(s.cli(['log', '--limit', '0']).status).toBe(2);
    expect(s.cli(['log', '--status', '4x']).status).toBe(2);
    const empty = makeTempDir('signet-nolog-');
    const r = runCli(['log', '--data-dir', join(empty, 'none')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no signet database/);
    rmSync(empty, { recursive: true, force: true });
  });

  it('--follow --json prints each new request as one JSON line, until SIGINT (exit 0)', async () => {
    const child = spawn(process.execPath, [BIN, 'log', '--follow', '--json', '--limit', '1', '--data-dir', dataDir], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const waitFor = async (test: () => boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!test()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor(() => out.split('\n').length > 1, 'the latest row');
    const marker = `/${BUCKET}/follow-${Date.now()}.txt`;
    expect((await plainGet(`${s.url}${marker}`)).status).toBe(403); // anonymous: logged
    await waitFor(() => out.includes(marker), 'the new request');
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as LoggedRequest);
    expect(lines.at(-1)).toMatchObject({ method: 'GET', path: marker, status: 403, errorCode: 'AccessDenied' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('after the server stops', () => {
  it('after SIGTERM: still no signature in any file; signet log reads every row without a server', async () => {
    const before = (await logged('?limit=10000')).length;
    expect(await s.stop()).toBe(0);
    const found = filesUnder(dataDir).flatMap((f) => findSignatures(f.path, f.bytes));
    expect(found).toEqual([]);
    const r = runCli(['log', '--json', '--limit', '10000', '--data-dir', dataDir]);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { requests: LoggedRequest[] }).requests).toHaveLength(before);
  });
});
