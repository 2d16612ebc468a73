/**
 * The programmatic API as a vitest suite uses it, imported by the package's name (through
 * package.json "exports": src/index.js, which registers tsx and loads src/index.ts).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSignet, type Signet } from 'signet-s3';
import { runCli } from '../helpers/spawn-server.ts';

function client(s: Signet, credentials = s.credentials, region = s.region): S3Client {
  return new S3Client({ endpoint: s.endpoint, region, credentials, forcePathStyle: true, maxAttempts: 1 });
}

async function s3Error(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('the request succeeded');
}

async function put(s3: S3Client, bucket: string, key: string, body: string) {
  return s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function get(s3: S3Client, bucket: string, key: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return r.Body!.transformToString();
}

describe('startSignet', () => {
  const started: Signet[] = [];
  const start = async (...args: Parameters<typeof startSignet>) => {
    const s = await startSignet(...args);
    started.push(s);
    return s;
  };
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  it('without options: a free port on 127.0.0.1, us-east-1, the default root token, a temp data dir removed by close()', async () => {
    // the API never reads the environment: a CI job's SIGNET_* variables are for `signet serve`
    vi.stubEnv('SIGNET_REGION', 'eu-west-3');
    vi.stubEnv('SIGNET_ROOT_ACCESS_KEY_ID', 'fromenv');
    vi.stubEnv('SIGNET_PORT', '9000');
    vi.stubEnv('SIGNET_CLOCK_CONTROL', '1');
    const s = await startSignet().finally(() => vi.unstubAllEnvs());
    expect(() => s.clock.advance('1h')).toThrow(/clockControl/);
    try {
      expect(s.endpoint).toBe(`http://127.0.0.1:${s.port}`);
      expect(s.port).toBeGreaterThan(0);
      expect(s.region).toBe('us-east-1');
      expect(s.credentials).toEqual({ accessKeyId: 'signetadmin', secretAccessKey: 'signetadmin-secret' });
      const health = await fetch(`${s.endpoint}/_signet/health`);
      expect(health.status).toBe(200);
      await client(s).send(new CreateBucketCommand({ Bucket: 'first' }));
      expect(existsSync(s.dataDir)).toBe(true);
    } finally {
      await s.close();
    }
    expect(existsSync(s.dataDir)).toBe(false);
    await expect(fetch(`${s.endpoint}/_signet/health`)).rejects.toThrow();
    // close() twice is harmless
    await s.close();
  });

  it('two instances side by side share no bucket, token, root credentials, region or clock', async () => {
    const a = await start({ clockControl: true });
    const b = await start({ clockControl: true, region: 'eu-west-1', rootAccessKeyId: 'rootb', rootSecretAccessKey: 'rootb-secret-123' });
    expect(a.endpoint).not.toBe(b.endpoint);
    expect(a.dataDir).not.toBe(b.dataDir);

    await a.createBucket('alpha');
    await b.createBucket('beta');
    const names = async (s: Signet) => ((await client(s).send(new ListBucketsCommand({}))).Buckets ?? []).map((x) => x.Name);
    expect(await names(a)).toEqual(['alpha']);
    expect(await names(b)).toEqual(['beta']);

    // a's root credentials and tokens mean nothing to b
    expect((await s3Error(client(b, a.credentials, b.region).send(new ListBucketsCommand({})))).name).toBe('InvalidAccessKeyId');
    const token = await a.createToken({ name: 'only-a', access: 'read-write' });
    expect((await s3Error(client(b, token, b.region).send(new ListBucketsCommand({})))).name).toBe('InvalidAccessKeyId');
    await put(client(a, token), 'alpha', 'k', 'in a');

    // b's region is the one its signatures must name
    expect((await s3Error(client(b, b.credentials, 'us-east-1').send(new ListBucketsCommand({})))).name).toBe('AuthorizationHeaderMalformed');

    // moving a's clock leaves b's alone
    a.clock.advance('2h');
    expect(a.clock.now().getTime() - Date.now()).toBeGreaterThan(2 * 3600_000 - 5_000);
    expect(Math.abs(b.clock.now().getTime() - Date.now())).toBeLessThan(5_000);

    // closing a leaves b serving
    await a.close();
    expect(existsSync(a.dataDir)).toBe(false);
    expect(await names(b)).toEqual(['beta']);
  });

  it('createToken returns the keys of `signet token create --json`; they work at once, within their scope', async () => {
    const s = await start();
    await s.createBucket('photos');
    await s.createBucket('other');
    await put(client(s), 'photos', 'cat.jpg', 'meow');

    const reader = await s.createToken({ name: 'reader', access: 'read', buckets: ['photos'], expiresIn: '1h' });
    const cli = runCli(['token', 'create', '--name', 'cli', '--access', 'read', '--json', '--data-dir', s.dataDir]);
    expect(cli.status).toBe(0);
    expect(Object.keys(reader).sort()).toEqual(Object.keys(JSON.parse(cli.stdout)).sort());
    expect(reader).toMatchObject({ name: 'reader', access: 'read', buckets: ['photos'], prefix: null });
    expect(reader.accessKeyId).toMatch(/^SGNT[A-Z2-7]{16}$/);
    expect(reader.secretAccessKey).toHaveLength(40);
    expect(Date.parse(reader.expiresAt!) - Date.now()).toBeGreaterThan(3600_000 - 10_000);
    expect(Date.parse(reader.expiresAt!) - Date.now()).toBeLessThanOrEqual(3600_000);

    expect(await get(client(s, reader), 'photos', 'cat.jpg')).toBe('meow');
    expect((await s3Error(put(client(s, reader), 'photos', 'dog.jpg', 'woof'))).name).toBe('AccessDenied');
    expect((await s3Error(get(client(s, reader), 'other', 'x'))).name).toBe('AccessDenied');

    const fixed = await s.createToken({ name: 'fixed', access: 'write', prefix: 'up/', accessKeyId: 'FIXEDKEY1', secretAccessKey: 'fixed-secret-1' });
    expect(fixed).toMatchObject({ accessKeyId: 'FIXEDKEY1', secretAccessKey: 'fixed-secret-1', prefix: 'up/', expiresAt: null });
    await put(client(s, fixed), 'photos', 'up/1.jpg', 'one');
    expect((await s3Error(put(client(s, fixed), 'photos', 'elsewhere.jpg', 'x'))).name).toBe('AccessDenied');
    await expect(s.createToken({ name: 'again', access: 'read', accessKeyId: 'FIXEDKEY1', secretAccessKey: 'another-secret' })).rejects.toThrow(
      /already exists/,
    );
  });

  it('createToken refuses bad options with the field named', async () => {
    const s = await start();
    await expect(s.createToken({ name: 'x', access: 'admin' as never })).rejects.toThrow(/access must be one of read, write, read-write/);
    await expect(s.createToken({ name: 'x', access: 'read', buckets: ['Bad_Name'] })).rejects.toThrow(/bucket "Bad_Name" is not a valid bucket name/);
    await expect(s.createToken({ name: 'x', access: 'read', expiresIn: 'soon' })).rejects.toThrow(/expiresIn/);
    await expect(s.createToken({ name: 'x', access: 'read', accessKeyId: 'ONLYID' })).rejects.toThrow(/given together/);
  });

  it('revokeToken: the next request signed by the token is refused as InvalidAccessKeyId', async () => {
    const s = await start();
    await s.createBucket('photos');
    const t = await s.createToken({ name: 'short-lived', access: 'read-write' });
    const s3 = client(s, t);
    await put(s3, 'photos', 'a', 'a');
    expect(await s.revokeToken(t.accessKeyId)).toEqual({ accessKeyId: t.accessKeyId, revoked: true });
    expect(await s3Error(get(s3, 'photos', 'a'))).toMatchObject({ name: 'InvalidAccessKeyId', status: 403 });
    await expect(s.revokeToken(s.credentials.accessKeyId)).rejects.toThrow(/root token cannot be revoked/);
    await expect(s.revokeToken('NOSUCHKEY')).rejects.toThrow(/no token has the access key id "NOSUCHKEY"/);
  });

  it('the clock moves through the API: a presigned URL and a token expire without waiting, and work again after reset', async () => {
    const s = await start({ clockControl: true });
    await s.createBucket('photos');
    await put(client(s), 'photos', 'cat.jpg', 'meow');
    const url = await getSignedUrl(client(s), new GetObjectCommand({ Bucket: 'photos', Key: 'cat.jpg' }), { expiresIn: 600 });
    const token = await s.createToken({ name: 'half-hour', access: 'read', expiresIn: 1800 });

    expect((await fetch(url)).status).toBe(200);
    expect(await get(client(s, token), 'photos', 'cat.jpg')).toBe('meow');

    const later = s.clock.advance('31m');
    expect(later.getTime() - Date.now()).toBeGreaterThan(31 * 60_000 - 5_000);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Message>Request has expired</Message>');
    // the half-hour token expired at the server's new "now"
    expect((await s3Error(get(client(s, token), 'photos', 'cat.jpg'))).name).toBe('InvalidAccessKeyId');
    // and the root's header-signed request carries a signing time 31 minutes behind the server's
    expect((await s3Error(get(client(s), 'photos', 'cat.jpg'))).name).toBe('RequestTimeTooSkewed');

    s.clock.reset();
    expect((await fetch(url)).status).toBe(200);

    expect(s.clock.set('2031-05-01T00:00:00Z').toISOString()).toMatch(/^2031-05-01T00:00:0/);
    expect(s.clock.now().getUTCFullYear()).toBe(2031);
    s.clock.advance(-3600_000);
    expect(s.clock.now().toISOString()).toMatch(/^2031-04-30T23:/);
    expect(() => s.clock.set('tomorrow')).toThrow(/ISO 8601/);
  });

  it('the clock refuses to move on a server started without clockControl', async () => {
    const s = await start();
    expect(() => s.clock.advance('1h')).toThrow(/clockControl: true/);
    expect(Math.abs(s.clock.now().getTime() - Date.now())).toBeLessThan(5_000);
  });

  it('createBucket: idempotent, validates the name, and corsOrigins answers preflights from that origin', async () => {
    const s = await start();
    expect(await s.createBucket('site', { corsOrigins: ['http://localhost:5173'] })).toEqual({
      name: 'site',
      created: true,
      corsOrigins: ['http://localhost:5173'],
    });
    expect((await s.createBucket('site')).created).toBe(false);
    await expect(s.createBucket('Not_Valid')).rejects.toThrow(/invalid bucket name "Not_Valid"/);
    const preflight = (origin: string) =>
      fetch(`${s.endpoint}/site/a.png`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' } });
    const ok = await preflight('http://localhost:5173');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect((await preflight('http://evil.example')).status).toBe(403);
  });

  it('init: buckets and tokens exist before startSignet resolves, their keys returned by name', async () => {
    const s = await start({
      init: {
        buckets: ['photos', { name: 'site', corsOrigins: ['http://localhost:3000'] }],
        tokens: [
          { name: 'ci', access: 'read-write', buckets: ['photos'], accessKeyId: 'CIKEY0001', secretAccessKey: 'ci-secret-0001' },
          { name: 'generated', access: 'read' },
        ],
      },
    });
    expect(s.tokens.ci).toMatchObject({ accessKeyId: 'CIKEY0001', secretAccessKey: 'ci-secret-0001', access: 'read-write', buckets: ['photos'] });
    await put(client(s, s.tokens.ci!), 'photos', 'x', 'from ci');
    expect(await get(client(s, s.tokens.generated!), 'photos', 'x')).toBe('from ci');
    await expect(startSignet({ init: { tokens: [{ name: 'bad', access: 'root' as never }] } })).rejects.toThrow(
      'init: tokens[0] ("bad"): access must be one of read, write, read-write (got "root")',
    );
  });

  it('init: the path of an init file works as the object does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-api-init-'));
    try {
      const path = join(dir, 'signet.json');
      writeFileSync(path, JSON.stringify({ buckets: ['from-file'], tokens: [{ name: 'ro', access: 'read', accessKeyId: 'ROKEY0001', secretAccessKey: 'ro-secret-0001' }] }));
      const s = await start({ init: path });
      const listed = await client(s, s.tokens.ro!).send(new ListBucketsCommand({}));
      expect(listed.Buckets?.map((b) => b.Name)).toEqual(['from-file']);
      writeFileSync(path, '{"buckets": [');
      await expect(startSignet({ init: path })).rejects.toThrow(`${path} is not valid JSON`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('explain equals `signet explain --json` for the same request, data directory and instant', () => {
    let s: Signet;
    let s3: S3Client;
    beforeAll(async () => {
      s = await startSignet({ clockControl: true });
      await s.createBucket('photos');
      s3 = client(s);
      await put(s3, 'photos', 'cat.jpg', 'meow');
    });
    afterAll(() => s.close());

    /** Runs both at one frozen instant: the CLI's Date.now() is pinned through NODE_OPTIONS. */
    function both(url: string, method = 'GET', headers: Array<[string, string]> = []) {
      const instant = Date.now() + 1234;
      const cli = runCli(
        ['explain', url, '--method', method, ...headers.flatMap(([n, v]) => ['--header', `${n}: ${v}`]), '--region', s.region, '--data-dir', s.dataDir, '--json'],
        { NODE_OPTIONS: `--import=data:text/javascript,Date.now=()=>${instant}` },
      );
      vi.useFakeTimers({ toFake: ['Date'], now: instant });
      const api = s.explain(url, { method, headers });
      vi.useRealTimers();
      return { api, cli: JSON.parse(cli.stdout), status: cli.status };
    }

    it('a valid presigned GET: accepted, every step equal', async () => {
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'photos', Key: 'cat.jpg' }), { expiresIn: 900 });
      const { api, cli, status } = both(url);
      expect(status).toBe(0);
      expect(api.verdict).toBe('accepted');
      expect(api).toEqual(cli);
    });

    it('a tampered signature: SignatureDoesNotMatch, with the same steps and hints', async () => {
      const url = (await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'photos', Key: 'cat.jpg' }), { expiresIn: 900 })).replace(
        /X-Amz-Signature=([0-9a-f])/,
        (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
      );
      const { api, cli, status } = both(url);
      expect(status).toBe(1);
      expect(api.error?.code).toBe('SignatureDoesNotMatch');
      expect(api).toEqual(cli);
    });

    it('a URL signed by a token revoked through the API: InvalidAccessKeyId in both', async () => {
      const t = await s.createToken({ name: 'gone', access: 'read' });
      const url = await getSignedUrl(client(s, t), new GetObjectCommand({ Bucket: 'photos', Key: 'cat.jpg' }), { expiresIn: 900 });
      await s.revokeToken(t.accessKeyId);
      const { api, cli } = both(url);
      expect(api.error?.code).toBe('InvalidAccessKeyId');
      expect(api).toEqual(cli);
    });

    it('a PUT URL sent with another Content-Type than signed, after the clock moved: the same report', async () => {
      const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'photos', Key: 'up.png', ContentType: 'image/png' }), {
        expiresIn: 900,
        signableHeaders: new Set(['content-type']),
      });
      s.clock.advance('5m');
      try {
        const { api, cli } = both(url, 'PUT', [['Content-Type', 'image/jpeg']]);
        expect(api.verdict).toBe('refused');
        expect(api.server.clockOffsetMs).toBe(300_000);
        expect(api).toEqual(cli);
      } finally {
        s.clock.reset();
      }
    });
  });
});
