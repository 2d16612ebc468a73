/**
 * Secrets at rest: the data directory is private (0700, the database and its WAL files 0600),
 * and a token's secret appears nowhere but the database and the `token create` answer: not in
 * the server's output, the CLI's other answers, the request log, the inspector, error bodies,
 * or any other file of the data directory. The root secret likewise stays out of everything
 * but the database.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, ROOT_SECRET, runCli, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';
import { cliAsync, listTree, presign, send, signedHeaders, type Credentials } from './client.ts';

const parents: string[] = [];
const servers: SpawnedServer[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const p of parents) rmSync(p, { recursive: true, force: true });
});

function freshParent(): string {
  const parent = makeTempDir('signet-secrets-');
  parents.push(parent);
  return parent;
}

async function serve(dataDir: string): Promise<SpawnedServer> {
  const server = await startSignet({ dataDir });
  servers.push(server);
  return server;
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** Every file and directory under dataDir that group or others could read, write or enter. */
function notPrivate(dataDir: string): string[] {
  return listTree(dataDir)
    .map((rel) => rel.replace(/\/$/, ''))
    .filter((rel) => (mode(join(dataDir, rel)) & 0o077) !== 0)
    .map((rel) => `${rel} ${mode(join(dataDir, rel)).toString(8)}`);
}

const DATABASE_FILES = /^signet\.db(-wal|-shm|-journal)?$/;

describe('the data directory is private', () => {
  it('created by the server: directory 0700, database and WAL files 0600, nothing readable by others', async () => {
    const dataDir = join(freshParent(), 'data');
    const server = await serve(dataDir);
    expect((await send(presign(server.url, 'PUT', '/private'), 'PUT')).status).toBe(200);
    expect((await send(presign(server.url, 'PUT', '/private/k'), 'PUT', { body: randomBytes(1000) })).status).toBe(200);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'signet.db'))).toBe(0o600);
    expect(mode(join(dataDir, 'signet.db-wal'))).toBe(0o600);
    expect(mode(join(dataDir, 'blobs'))).toBe(0o700);
    expect(mode(join(dataDir, 'tmp'))).toBe(0o700);
    expect(notPrivate(dataDir)).toEqual([]);
  });

  it('created by the CLI (token create before any server ran): the same modes', () => {
    const dataDir = join(freshParent(), 'data');
    const created = runCli(['token', 'create', '--name', 'early', '--access', 'read', '--data-dir', dataDir]);
    expect(created.status).toBe(0);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'signet.db'))).toBe(0o600);
    expect(notPrivate(dataDir)).toEqual([]);
  });

  it('an existing 0755 directory and a 0644 database are tightened at start', async () => {
    const dataDir = join(freshParent(), 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'signet.db'), '');
    chmodSync(join(dataDir, 'signet.db'), 0o644);
    await serve(dataDir);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'signet.db'))).toBe(0o600);
    expect(notPrivate(dataDir)).toEqual([]);
  });
});

describe('token secrets appear only in the database and the token create answer', () => {
  it('not in server output, CLI answers, the request log, the inspector, error bodies or other files', async () => {
    const dataDir = join(freshParent(), 'data');
    const server = await serve(dataDir);
    const base = server.url;
    const cli = (args: string[]) => cliAsync(dataDir, args);

    const created = await cli(['token', 'create', '--name', 'secretive', '--access', 'read-write', '--json']);
    expect(created.status).toBe(0);
    const token = JSON.parse(created.stdout) as Credentials;
    expect(created.stdout).toContain(token.secretAccessKey);
    const wrong: Credentials = { accessKeyId: token.accessKeyId, secretAccessKey: `${token.secretAccessKey}x` };

    // Everything a user or another process can see, collected while using the token.
    const seen: string[] = [];
    const keep = (label: string, text: string | Buffer) => seen.push(`== ${label}\n${text.toString()}`);

    keep('bucket', (await send(presign(base, 'PUT', '/vault'), 'PUT')).body);
    keep('put', (await send(presign(base, 'PUT', '/vault/doc', { creds: token }), 'PUT', { body: Buffer.from('payload') })).body);
    keep('get', (await send(presign(base, 'GET', '/vault/doc', { creds: token }), 'GET')).body);
    const badQuery = await send(presign(base, 'GET', '/vault/doc', { creds: wrong }), 'GET');
    expect(badQuery.status).toBe(403);
    keep('SignatureDoesNotMatch (query)', badQuery.body);
    const badHeader = await send(`${base}/vault/doc`, 'GET', { headers: signedHeaders(base, 'GET', '/vault/doc', { creds: wrong }) });
    expect(badHeader.status).toBe(403);
    keep('SignatureDoesNotMatch (header)', badHeader.body);
    keep('expired', (await send(presign(base, 'GET', '/vault/doc', { creds: token, now: new Date(Date.now() - 3_600_000), expiresIn: 60 }), 'GET')).body);
    keep('scope', (await send(presign(base, 'PUT', '/elsewhere', { creds: token }), 'PUT')).body);

    const [list, listJson, explained] = await Promise.all([
      cli(['token', 'list']),
      cli(['token', 'list', '--json']),
      cli(['explain', presign(base, 'GET', '/vault/doc', { creds: wrong })]),
    ]);
    keep('token list', list.stdout + list.stderr);
    keep('token list --json', listJson.stdout + listJson.stderr);
    keep('explain', explained.stdout + explained.stderr);
    const revoked = await cli(['token', 'revoke', token.accessKeyId]);
    expect(revoked.status).toBe(0);
    keep('token revoke', revoked.stdout + revoked.stderr);
    const afterRevoke = await send(presign(base, 'GET', '/vault/doc', { creds: token }), 'GET');
    expect(afterRevoke.status).toBe(403);
    keep('revoked', afterRevoke.body);

    for (const path of ['/_signet/requests', '/_signet/requests?limit=1000', '/_signet/', '/_signet/?refused=1', '/_signet/health']) {
      keep(`inspector ${path}`, (await send(`${base}${path}`, 'GET')).body);
    }
    const logs = await Promise.all([cli(['log', '--json']), cli(['log'])]);
    logs.forEach((l, i) => keep(`log ${i}`, l.stdout + l.stderr));

    await server.stop();
    keep('server output', server.output());

    const haystack = seen.join('\n');
    // The haystack is real: it holds the requests' traces (their access key id), just not the secret.
    expect(haystack).toContain(token.accessKeyId);
    expect(haystack).toContain('SignatureDoesNotMatch');
    for (const secret of [token.secretAccessKey, ROOT_SECRET]) {
      const at = haystack.indexOf(secret);
      expect(at, `a secret appeared in: ${haystack.slice(Math.max(0, haystack.lastIndexOf('== ', at)), at + 80)}`).toBe(-1);
    }

    // On disk: only the database files hold it (the search finds it there, so it would elsewhere).
    const files = listTree(dataDir).filter((rel) => !rel.endsWith('/'));
    const holding = files.filter((rel) => readFileSync(join(dataDir, rel)).includes(token.secretAccessKey));
    expect(holding.length).toBeGreaterThan(0);
    expect(holding.filter((rel) => !DATABASE_FILES.test(rel))).toEqual([]);
    const holdingRoot = files.filter((rel) => readFileSync(join(dataDir, rel)).includes(ROOT_SECRET));
    expect(holdingRoot.filter((rel) => !DATABASE_FILES.test(rel))).toEqual([]);
  });
});
