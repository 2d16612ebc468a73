/**
 * The inspector and GET /_signet/requests, against the real server (startServer, in process).
 *
 * Who may use them depends on the peer address, and every test client here is on loopback.
 * Two honest ways to be "another machine":
 *   - the server's 'connection' hook rewrites socket.remoteAddress to 203.0.113.9 (TEST-NET-3)
 *     for the connections a test marks: the request still travels over real HTTP and the
 *     inspector reads the address where it always does (req.socket.remoteAddress);
 *   - when this machine has a non-loopback IPv4 address, a second server listens on it and is
 *     reached through it: the kernel then reports that address as the peer, no rewriting at all.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, validateConfig, type Config } from '../../src/config.ts';
import { isLocalHostHeader, isLoopbackAddress } from '../../src/http/inspector/access.ts';
import { contentDisposition } from '../../src/http/inspector/routes.ts';
import type { LoggedRequest } from '../../src/log/request-log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { presignUrl, signRequest } from '../../src/sigv4/sign.ts';

// Servers live for a whole describe block, so their directories are removed at the very end.
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'signet-inspector-'));
  dirs.push(dir);
  return dir;
}
const ROOT = { accessKeyId: 'inspectroot', secretAccessKey: 'inspectroot-secret-0123' };
const REGION = 'us-east-1';
const FAR_ADDRESS = '203.0.113.9';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: Buffer;
}

let farNext = false;

/** One request on its own connection (no keep-alive), so a spoofed peer never leaks into the next test. */
function send(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; far?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers = { ...(opts.headers ?? {}), ...(opts.far ? { 'x-test-far': '1' } : {}) };
    const req = httpRequest(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: body.toString('utf8'), body });
        });
      },
    );
    req.on('error', reject);
    if (opts.far) farNext = true;
    req.end(opts.body);
  });
}

async function start(overrides: Partial<Config> = {}): Promise<RunningServer> {
  const config = validateConfig({ ...DEFAULTS, dataDir: tempDir(), port: 0, rootAccessKeyId: ROOT.accessKeyId, rootSecretAccessKey: ROOT.secretAccessKey, ...overrides });
  const running = await startServer(config);
  // The connection opened by the next `send(..., { far: true })` appears to come from FAR_ADDRESS.
  running.server.prependListener('connection', (socket: Socket) => {
    if (!farNext) return;
    farNext = false;
    Object.defineProperty(socket, 'remoteAddress', { value: FAR_ADDRESS, configurable: true });
  });
  return running;
}

function signedHeaders(method: string, url: string, secretAccessKey = ROOT.secretAccessKey, accessKeyId = ROOT.accessKeyId, body = '') {
  return signRequest({ method, url, accessKeyId, secretAccessKey, region: REGION, now: new Date(), payloadHash: createHash('sha256').update(body).digest('hex') }).headers;
}

function presigned(s: RunningServer, method: string, path: string, secretAccessKey = ROOT.secretAccessKey): string {
  return presignUrl({ method, url: `${s.url}${path}`, accessKeyId: ROOT.accessKeyId, secretAccessKey, region: REGION, now: new Date(), expiresIn: 300 });
}

async function requests(s: RunningServer, query = ''): Promise<LoggedRequest[]> {
  const r = await send(`${s.url}/_signet/requests${query}`);
  expect(r.status).toBe(200);
  return (JSON.parse(r.text) as { requests: LoggedRequest[] }).requests;
}

describe('loopback and Host predicates', () => {
  it('127.0.0.0/8, ::1 and IPv4-mapped loopback are loopback; nothing else is', () => {
    for (const a of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['192.0.2.2', '10.0.0.1', '::ffff:10.0.0.1', 'fd00::2', '128.0.0.1', '::', '0.0.0.0', '', undefined]) {
      expect(isLoopbackAddress(a), String(a)).toBe(false);
    }
  });

  it('a local Host: localhost, *.localhost, an IP literal or the listening host; another name is refused (DNS rebinding)', () => {
    for (const h of ['127.0.0.1:9000', 'localhost:9000', 'LOCALHOST', '[::1]:9000', 'app.localhost:9000', '192.0.2.2:9000', 'devbox:9000']) {
      expect(isLocalHostHeader(h, 'devbox'), h).toBe(true);
    }
    for (const h of ['evil.example:9000', 'localhost.evil.example', '', undefined]) expect(isLocalHostHeader(h, '127.0.0.1'), String(h)).toBe(false);
  });
});

describe('GET /_signet/requests', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await start();
    s.storage.meta.createBucket('logs-a', new Date());
    s.storage.meta.createBucket('logs-b', new Date());
    // Accepted, refused (tampered signature), and a 404, in two buckets.
    expect((await send(presigned(s, 'GET', '/logs-a'))).status).toBe(200);
    expect((await send(presigned(s, 'GET', '/logs-a/missing.txt'))).status).toBe(404);
    expect((await send(presigned(s, 'GET', '/logs-b/x', 'not-the-root-secret'))).status).toBe(403);
    expect((await send(`${s.url}/logs-b/y`)).status).toBe(403);
  });
  afterAll(() => s.close());

  it('lists answered S3 requests newest first, with verdict fields; its own endpoints are not logged', async () => {
    await send(`${s.url}/_signet/health`);
    const rows = await requests(s);
    expect(rows.map((r) => `${r.method} ${r.path} ${r.status} ${r.errorCode ?? ''}`)).toEqual([
      'GET /logs-b/y 403 AccessDenied',
      'GET /logs-b/x 403 SignatureDoesNotMatch',
      'GET /logs-a/missing.txt 404 NoSuchKey',
      'GET /logs-a 200 ',
    ]);
    const refused = rows[1]!;
    expect(refused).toMatchObject({ bucket: 'logs-b', key: 'x', authKind: 'sigv4-query', accessKeyId: ROOT.accessKeyId });
    expect(refused.steps!.at(-1)).toMatchObject({ name: 'signature', ok: false, detail: { signatureProvided: '[redacted]', signatureExpected: '[redacted]' } });
    expect(rows[3]!.operation).toBe('ListObjects');
  });

  it('filters by status (exact or class), by bucket, and limits', async () => {
    expect((await requests(s, '?status=403')).map((r) => r.path)).toEqual(['/logs-b/y', '/logs-b/x']);
    expect((await requests(s, '?status=4xx&bucket=logs-a')).map((r) => r.status)).toEqual([404]);
    expect((await requests(s, '?bucket=logs-a')).map((r) => r.status)).toEqual([404, 200]);
    expect((await requests(s, '?limit=1')).map((r) => r.path)).toEqual(['/logs-b/y']);
    expect((await requests(s, '?status=2xx')).map((r) => r.path)).toEqual(['/logs-a']);
  });

  it('a bad limit or status is a 400 that says what is allowed', async () => {
    for (const q of ['?limit=0', '?limit=abc', '?limit=10001', '?status=4x', '?status=999']) {
      const r = await send(`${s.url}/_signet/requests${q}`);
      expect(r.status, q).toBe(400);
      expect(JSON.parse(r.text).error).toBe('InvalidArgument');
    }
  });

  it('from another address: 403 unsigned, 403 signed by a non-root token, 200 signed by root', async () => {
    const url = `${s.url}/_signet/requests?limit=2`;
    const unsigned = await send(url, { far: true });
    expect(unsigned.status).toBe(403);
    expect(JSON.parse(unsigned.text)).toMatchObject({ error: 'AccessDenied' });

    s.storage.meta.insertToken({
      accessKeyId: 'READER1', secretAccessKey: 'reader-secret-000000', name: 'reader', access: 'read', buckets: [], prefix: null,
      expiresAt: null, revokedAt: null, createdAt: new Date().toISOString(), root: false,
    });
    const byReader = await send(url, { far: true, headers: signedHeaders('GET', url, 'reader-secret-000000', 'READER1') });
    expect(byReader.status).toBe(403);
    expect(JSON.parse(byReader.text).why).toMatch(/not the root token/);

    const wrongSecret = await send(url, { far: true, headers: signedHeaders('GET', url, 'wrong-secret-0000000') });
    expect(wrongSecret.status).toBe(403);
    expect(JSON.parse(wrongSecret.text).why).toMatch(/^signature:/);

    const byRoot = await send(url, { far: true, headers: signedHeaders('GET', url) });
    expect(byRoot.status).toBe(200);
    expect(JSON.parse(byRoot.text).requests).toHaveLength(2);

    const presignedByRoot = await send(presigned(s, 'GET', '/_signet/requests'), { far: true });
    expect(presignedByRoot.status).toBe(200);
  });
});

describe('the inspector is for this machine only', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(() => s.close());

  it('from another address every page is 403, and says how to open it', async () => {
    for (const path of ['/_signet/', '/_signet/explain', '/_signet/browse?bucket=b', '/_signet/download?bucket=b&key=k', '/_signet/fragments/requests']) {
      const r = await send(`${s.url}${path}`, { far: true });
      expect(r.status, path).toBe(403);
      expect(r.text).toMatch(/--inspector-public/);
    }
    const post = await send(`${s.url}/_signet/explain`, { far: true, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'url=x' });
    expect(post.status).toBe(403);
  });

  it('from loopback with a foreign Host (DNS rebinding) it is 403 too', async () => {
    const r = await send(`${s.url}/_signet/`, { headers: { host: `rebind.example:${s.port}` } });
    expect(r.status).toBe(403);
  });

  it('from loopback it is served', async () => {
    const r = await send(`${s.url}/_signet/`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['content-security-policy']).toMatch(/default-src 'none'/);
  });

  it('with --inspector-public another address is served', async () => {
    const pub = await start({ inspectorPublic: true });
    try {
      expect((await send(`${pub.url}/_signet/`, { far: true })).status).toBe(200);
      expect((await send(`${pub.url}/_signet/requests`, { far: true })).status).toBe(200);
    } finally {
      await pub.close();
    }
  });
});

const externalIPv4 = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

describe.skipIf(!externalIPv4)(`reached through a non-loopback address (${externalIPv4 ?? 'none on this machine'})`, () => {
  it('the peer is that address, not loopback: the inspector refuses, /_signet/requests wants root', async () => {
    const s = await start({ host: externalIPv4! });
    try {
      expect(s.url).toBe(`http://${externalIPv4}:${s.port}`);
      expect((await send(`${s.url}/_signet/`)).status).toBe(403);
      expect((await send(`${s.url}/_signet/requests`)).status).toBe(403);
      const url = `${s.url}/_signet/requests`;
      expect((await send(url, { headers: signedHeaders('GET', url) })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('inspector pages', () => {
  let s: RunningServer;
  const HOSTILE_KEY = 'dir/<img src=x onerror=alert(1)>"\'.txt';
  beforeAll(async () => {
    s = await start();
    const put = (path: string, body: string) => send(`${s.url}${path}`, { method: 'PUT', body, headers: signedHeaders('PUT', `${s.url}${path}`, undefined, undefined, body) });
    expect((await put('/pics', '')).status).toBe(200);
    expect((await put('/pics/top.txt', 'top level')).status).toBe(200);
    expect((await put('/pics/dir/inner.bin', 'inner bytes')).status).toBe(200);
    expect((await put(`/pics/${encodeURIComponent(HOSTILE_KEY).replace(/%2F/g, '/')}`, 'hostile')).status).toBe(200);
    s.storage.meta.insertToken({
      accessKeyId: 'TOKEN2', secretAccessKey: 'token2-secret-must-not-show', name: '<script>alert(2)</script>', access: 'read', buckets: ['pics'],
      prefix: 'dir/', expiresAt: null, revokedAt: null, createdAt: new Date().toISOString(), root: false,
    });
  });
  afterAll(() => s.close());

  it('overview: buckets, tokens without secrets, names escaped', async () => {
    const r = await send(`${s.url}/_signet/`);
    expect(r.text).toContain('href="/_signet/browse?bucket=pics"');
    expect(r.text).toContain('TOKEN2');
    expect(r.text).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(r.text).not.toContain('<script>alert(2)');
    expect(r.text).not.toContain('token2-secret-must-not-show');
    expect(r.text).not.toContain(ROOT.secretAccessKey);
  });

  it('browse: common prefixes with the delimiter, objects under a prefix, hostile keys escaped', async () => {
    const top = await send(`${s.url}/_signet/browse?bucket=pics`);
    expect(top.status).toBe(200);
    expect(top.text).toContain('href="/_signet/browse?bucket=pics&amp;prefix=dir%2F&amp;delimiter=%2F"');
    expect(top.text).toContain('top.txt');
    expect(top.text).not.toContain('inner.bin');
    const dir = await send(`${s.url}/_signet/browse?bucket=pics&prefix=dir%2F`);
    expect(dir.text).toContain('inner.bin');
    expect(dir.text).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;.txt');
    expect(dir.text).not.toContain('<img src=x');
    expect((await send(`${s.url}/_signet/browse?bucket=nope`)).status).toBe(404);
  });

  it('download: the exact bytes, as an attachment, without a signature', async () => {
    const r = await send(`${s.url}/_signet/download?bucket=pics&key=dir%2Finner.bin`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('inner bytes');
    expect(r.headers['content-disposition']).toBe(`attachment; filename="inner.bin"; filename*=UTF-8''inner.bin`);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    const hostile = await send(`${s.url}/_signet/download?bucket=pics&key=${encodeURIComponent(HOSTILE_KEY)}`);
    expect(hostile.body.toString()).toBe('hostile');
    expect((await send(`${s.url}/_signet/download?bucket=pics&key=none`)).status).toBe(404);
  });

  it('Content-Disposition: quotes and non-ASCII cannot break out of the filename', () => {
    expect(contentDisposition('a/b"c\\d.txt')).toBe(`attachment; filename="b_c_d.txt"; filename*=UTF-8''b%22c%5Cd.txt`);
    expect(contentDisposition('photos/été.png')).toBe(`attachment; filename="_t_.png"; filename*=UTF-8''%C3%A9t%C3%A9.png`);
  });

  it('a refused request is in the live rows, highlighted, and its page shows its steps', async () => {
    const bad = await send(presigned(s, 'GET', '/pics/top.txt', 'wrong-secret-123456'));
    expect(bad.status).toBe(403);
    const requestId = String(bad.headers['x-amz-request-id']);
    const rows = await send(`${s.url}/_signet/fragments/requests?refused=1`);
    expect(rows.text).toContain(`data-request-id="${requestId}"`);
    expect(rows.text).toMatch(new RegExp(`<tr class="refused" data-request-id="${requestId}"`));
    expect(rows.text).not.toContain('<tr class="ok"');
    const detail = await send(`${s.url}/_signet/request/${requestId}`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('SignatureDoesNotMatch');
    expect(detail.text).toMatch(/<li class="fail" data-step="signature">/);
    expect(detail.text).toContain('[redacted]');
    expect((await send(`${s.url}/_signet/request/NOSUCHID`)).status).toBe(404);
    expect((await send(`${s.url}/_signet/request/%zz`)).status).toBe(404);
  });
});

describe('the explain form', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await start();
    s.storage.meta.createBucket('exp', new Date());
  });
  afterAll(() => s.close());

  const explain = (fields: Record<string, string>) =>
    send(`${s.url}/_signet/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  it('GET shows the form', async () => {
    const r = await send(`${s.url}/_signet/explain`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<form method="post" action="/_signet/explain"');
  });

  it('a valid presigned URL: accepted, with the operation it would run', async () => {
    const r = await explain({ url: presigned(s, 'GET', '/exp/a.txt'), method: 'GET', headers: '' });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/<div class="verdict accepted" id="explain-verdict">Accepted &mdash; the server would run GetObject/);
  });

  it('a tampered signature: refused with the S3 error, the canonical request laid out line by line', async () => {
    const r = await explain({ url: presigned(s, 'GET', '/exp/a.txt', 'wrong-secret-123456'), method: 'GET', headers: '' });
    expect(r.text).toMatch(/id="explain-verdict">Refused: 403 SignatureDoesNotMatch/);
    expect(r.text).toMatch(/<ol class="lines"><li>GET<\/li><li>\/exp\/a.txt<\/li>/);
  });

  it('a URL sent to another Host than it was signed for: the differing canonical-request line is marked', async () => {
    const url = presigned(s, 'GET', '/exp/a.txt').replace('127.0.0.1', 'localhost');
    const r = await explain({ url, method: 'GET', headers: '' });
    expect(r.text).toMatch(/Refused: 403 SignatureDoesNotMatch/);
    expect(r.text).toContain('data-hint="host-rewritten"');
    expect(r.text).toMatch(new RegExp(`<li class="differs" title="differs">host:localhost:${s.port}</li>`));
    expect(r.text.match(/class="differs"/g)).toHaveLength(1);
  });

  it('headers are taken one per line; the same request signed with them is accepted', async () => {
    const url = presignUrl({ method: 'PUT', url: `${s.url}/exp/p.png`, accessKeyId: ROOT.accessKeyId, secretAccessKey: ROOT.secretAccessKey, region: REGION, now: new Date(), expiresIn: 300, signedHeaders: { 'content-type': 'image/png' } });
    const ok = await explain({ url, method: 'PUT', headers: 'Content-Type: image/png\n' });
    expect(ok.text).toMatch(/Accepted &mdash; the server would run PutObject/);
    const other = await explain({ url, method: 'PUT', headers: 'Content-Type: image/jpeg' });
    expect(other.text).toMatch(/Refused: 403 SignatureDoesNotMatch/);
  });

  it('not a URL: 400 with the reason, the form kept', async () => {
    const r = await explain({ url: 'ftp://nope', method: 'GET', headers: '' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('is not an http:// or https:// URL');
    expect(r.text).toContain('ftp://nope</textarea>');
  });

  it('a form body above 256 KiB is a 413 page, not an internal error', async () => {
    const r = await explain({ url: `http://127.0.0.1/${'a'.repeat(300_000)}`, method: 'GET', headers: '' });
    expect(r.status).toBe(413);
    expect(r.text).toContain('The form could not be read');
  });

  it('a pasted URL never reaches the request log', async () => {
    const url = presigned(s, 'GET', '/exp/logged.txt');
    await explain({ url, method: 'GET', headers: '' });
    const rows = await requests(s);
    expect(JSON.stringify(rows)).not.toContain('logged.txt');
  });
});
