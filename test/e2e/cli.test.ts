/**
 * The operator contract (../shared/CONTRACT.md) as users and scripts rely on it: settings and
 * their precedence, the ready line, health, signals, the token and bucket commands, exit codes.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Client, ListBucketsCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { makeTempDir, REGION, ROOT_KEY, ROOT_SECRET, runCli, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

function client(url: string, accessKeyId = ROOT_KEY, secretAccessKey = ROOT_SECRET, region = REGION) {
  return new S3Client({ endpoint: url, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
}

async function health(url: string) {
  const r = await fetch(`${url}/_signet/health`);
  return { status: r.status, body: (await r.json()) as { region: string; status: string } };
}

describe('signet serve', () => {
  it('port 0 picks a free port and prints the ready line with it; health answers 200 JSON', async () => {
    const s = await startSignet();
    try {
      expect(s.port).toBeGreaterThan(0);
      expect(s.output()).toContain(`signet listening on http://127.0.0.1:${s.port}`);
      const h = await health(s.url);
      expect(h.status).toBe(200);
      expect(h.body.status).toBe('ok');
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('a flag wins over its environment variable, which wins over the default', async () => {
    const byDefault = await startSignet({ env: {} });
    const byEnv = await startSignet({ env: { SIGNET_REGION: 'eu-west-1' } });
    const byFlag = await startSignet({ env: { SIGNET_REGION: 'eu-west-1' }, args: ['--region', 'ap-south-1'] });
    try {
      expect((await health(byDefault.url)).body.region).toBe('us-east-1');
      expect((await health(byEnv.url)).body.region).toBe('eu-west-1');
      expect((await health(byFlag.url)).body.region).toBe('ap-south-1');
      // and the region is really the one signatures must name
      await expect(client(byFlag.url, ROOT_KEY, ROOT_SECRET, 'ap-south-1').send(new ListBucketsCommand({}))).resolves.toBeDefined();
      await expect(client(byFlag.url, ROOT_KEY, ROOT_SECRET, 'eu-west-1').send(new ListBucketsCommand({}))).rejects.toMatchObject({
        name: 'AuthorizationHeaderMalformed',
      });
    } finally {
      await Promise.all([byDefault.stop(), byEnv.stop(), byFlag.stop()]);
    }
  });

  it('SIGINT stops it with exit status 0', async () => {
    const s = await startSignet();
    expect(await s.stop('SIGINT')).toBe(0);
  });

  it('SIGTERM lets a request in flight finish, then exits 0', async () => {
    const s = await startSignet();
    await client(s.url).send(new ListBucketsCommand({}));
    expect(s.cli(['bucket', 'create', 'inflight']).status).toBe(0);
    // A presigned-free way to hold a request open: a GET of a large object read slowly.
    const body = Buffer.alloc(8 * 1024 * 1024, 7);
    await client(s.url).send(new PutObjectCommand({ Bucket: 'inflight', Key: 'big', Body: body }));
    const get = await client(s.url).send(new GetObjectCommand({ Bucket: 'inflight', Key: 'big' }));
    const stream = get.Body as NodeJS.ReadableStream;
    const chunks: Buffer[] = [];
    let first = true;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        if (first) {
          first = false;
          s.proc.kill('SIGTERM');
        }
      });
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    await done;
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    expect(await s.stop()).toBe(0);
  });

  it('the root credentials follow the variables: a changed secret works after restart, the old one is refused', async () => {
    const dataDir = makeTempDir();
    const first = await startSignet({ dataDir, env: { SIGNET_ROOT_SECRET_ACCESS_KEY: 'first-secret-123' } });
    await client(first.url, ROOT_KEY, 'first-secret-123').send(new ListBucketsCommand({}));
    await first.stop();
    const second = await startSignet({ dataDir, env: { SIGNET_ROOT_SECRET_ACCESS_KEY: 'second-secret-456' } });
    try {
      await expect(client(second.url, ROOT_KEY, 'second-secret-456').send(new ListBucketsCommand({}))).resolves.toBeDefined();
      await expect(client(second.url, ROOT_KEY, 'first-secret-123').send(new ListBucketsCommand({}))).rejects.toMatchObject({
        name: 'SignatureDoesNotMatch',
      });
    } finally {
      await second.stop();
    }
  });

  it('an invalid setting fails the start with exit status 1 and one line saying what to do', () => {
    const r = runCli(['serve', '--port', '0', '--data-dir', makeTempDir(), '--region', 'Not A Region']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('region');
  });

  it('a malformed flag is bad usage: exit status 2', () => {
    const r = runCli(['serve', '--port', 'ninety']);
    expect(r.status).toBe(2);
  });
});

describe('signet token and bucket commands', () => {
  let s: SpawnedServer;
  beforeAll(async () => {
    s = await startSignet();
  });
  afterAll(async () => {
    await s.stop();
  });

  it('bucket create then bucket list --json shows it, and the running server sees it at once', async () => {
    expect(s.cli(['bucket', 'create', 'from-cli']).status).toBe(0);
    const list = s.cli(['bucket', 'list', '--json']);
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout).map((b: { name: string }) => b.name)).toContain('from-cli');
    const out = await client(s.url).send(new ListBucketsCommand({}));
    expect(out.Buckets?.map((b) => b.Name)).toContain('from-cli');
  });

  it('bucket create with an invalid name: exit 1, one line on stderr', () => {
    const r = s.cli(['bucket', 'create', 'Bad_Name']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('invalid bucket name');
  });

  it('token create --json prints exactly one JSON document with the contract fields', () => {
    const r = s.cli(['token', 'create', '--name', 'ci', '--access', 'read', '--bucket', 'from-cli', '--prefix', 'p/', '--expires-in', '1h', '--json']);
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(Object.keys(t).sort()).toEqual(['access', 'accessKeyId', 'buckets', 'expiresAt', 'name', 'prefix', 'secretAccessKey'].sort());
    expect(t).toMatchObject({ name: 'ci', access: 'read', buckets: ['from-cli'], prefix: 'p/' });
    const expiresIn = Date.parse(t.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(3500_000);
    expect(expiresIn).toBeLessThanOrEqual(3600_000);
  });

  it('token list never prints a secret, as text or JSON', () => {
    const t = JSON.parse(s.cli(['token', 'create', '--name', 'secretive', '--access', 'read-write', '--json']).stdout);
    const text = s.cli(['token', 'list']);
    const json = s.cli(['token', 'list', '--json']);
    expect(text.stdout).toContain(t.accessKeyId);
    expect(JSON.parse(json.stdout).map((x: { accessKeyId: string }) => x.accessKeyId)).toContain(t.accessKeyId);
    expect(text.stdout + json.stdout).not.toContain(t.secretAccessKey);
    expect(text.stdout + json.stdout).not.toContain(ROOT_SECRET);
  });

  it('a token works at once, and a revoked one is refused with InvalidAccessKeyId on the next request', async () => {
    const t = JSON.parse(s.cli(['token', 'create', '--name', 'short', '--access', 'read-write', '--json']).stdout);
    const c = client(s.url, t.accessKeyId, t.secretAccessKey);
    await expect(c.send(new ListBucketsCommand({}))).resolves.toBeDefined();
    expect(s.cli(['token', 'revoke', t.accessKeyId]).status).toBe(0);
    await expect(c.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } });
    const listed = JSON.parse(s.cli(['token', 'list', '--json']).stdout).find((x: { accessKeyId: string }) => x.accessKeyId === t.accessKeyId);
    expect(listed.revokedAt).toBeTruthy();
  });

  it('token revoke of an unknown id: exit 1 with one line on stderr', () => {
    const r = s.cli(['token', 'revoke', 'SGNTNOSUCHTOKEN00000']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('token create without --access, or with an unknown access, is bad usage: exit 2', () => {
    expect(s.cli(['token', 'create', '--name', 'x']).status).toBe(2);
    expect(s.cli(['token', 'create', '--name', 'x', '--access', 'admin']).status).toBe(2);
    expect(s.cli(['token', 'create', '--name', 'x', '--access', 'read', '--expires-in', 'soon']).status).toBe(2);
  });

  it('an unknown command is bad usage: exit 2', () => {
    expect(runCli(['frobnicate']).status).toBe(2);
  });

  it('the server output never contains a secret', () => {
    expect(s.output()).not.toContain(ROOT_SECRET);
  });
});

// keep the `request` import used for a raw check of the ready server
describe('raw HTTP', () => {
  it('an anonymous request gets 403 AccessDenied as S3 XML', async () => {
    const s = await startSignet();
    try {
      const { status, body, contentType } = await new Promise<{ status: number; body: string; contentType: string }>((resolve, reject) => {
        const r = request(`${s.url}/`, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: b, contentType: String(res.headers['content-type']) }));
        });
        r.on('error', reject);
        r.end();
      });
      expect(status).toBe(403);
      expect(contentType).toContain('application/xml');
      expect(body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\s*<Error><Code>AccessDenied<\/Code>/);
      expect(body).toContain('<RequestId>');
    } finally {
      await s.stop();
    }
  });
});
