/**
 * The README's client recipes, run as written against a spawned signet with the README's
 * default root credentials; only the endpoint (http://127.0.0.1:9000) is replaced by the
 * test server's.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, PROJECT_ROOT, runPython, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';
import { cleanEnv, recipe, withEndpoint } from './readme.ts';

const README_ROOT = { SIGNET_ROOT_ACCESS_KEY_ID: 'signetadmin', SIGNET_ROOT_SECRET_ACCESS_KEY: 'signetadmin-secret' };
const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

describe('README: client recipes', () => {
  let profileServer: SpawnedServer;
  let envServer: SpawnedServer;
  let boto3Server: SpawnedServer;
  let sdkServer: SpawnedServer;
  let work: string;

  beforeAll(async () => {
    work = makeTempDir('signet-recipes-');
    [profileServer, envServer, boto3Server, sdkServer] = await Promise.all([1, 2, 3, 4].map(() => startSignet({ env: README_ROOT })));
  });
  afterAll(async () => {
    await Promise.all([profileServer, envServer, boto3Server, sdkServer].map((s) => s?.stop()));
    rmSync(work, { recursive: true, force: true });
  });

  /** The AWS CLI with no configuration but what a recipe gives it. */
  const aws = (args: string[], env: Record<string, string>, cwd = work) =>
    spawnSync('aws', args, {
      cwd,
      encoding: 'utf8',
      timeout: 120_000,
      env: cleanEnv({ AWS_CONFIG_FILE: join(work, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'), ...env }),
    });

  it.skipIf(!hasAws)('AWS CLI: the "signet" profile (endpoint_url in ~/.aws/config, keys in ~/.aws/credentials)', () => {
    const config = join(work, 'config');
    const credentials = join(work, 'credentials');
    writeFileSync(config, withEndpoint(recipe('aws-config').code, profileServer.url));
    writeFileSync(credentials, recipe('aws-credentials').code);
    const env = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };
    const mb = aws(['--profile', 'signet', 's3', 'mb', 's3://profile-bucket'], env);
    expect(mb.stderr).toBe('');
    expect(mb.stdout).toContain('make_bucket: profile-bucket');
    const ls = aws(['s3', 'ls'], { ...env, AWS_PROFILE: 'signet' });
    expect(ls.status).toBe(0);
    expect(ls.stdout).toMatch(/ profile-bucket\n$/);
  });

  it.skipIf(!hasAws)('AWS CLI: AWS_ENDPOINT_URL and the keys in the environment, the shell lines as written', async () => {
    const dir = makeTempDir('signet-awsenv-');
    try {
      const script = withEndpoint(recipe('aws-env').code, envServer.url);
      const r = spawnSync('bash', ['-eo', 'pipefail', '-c', script], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
        env: cleanEnv({ AWS_CONFIG_FILE: join(work, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials') }),
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('make_bucket: photos');
      expect(r.stdout).toMatch(/\d+-\d+-\d+ \d+:\d+:\d+ +6 hello\.txt\n$/);
      // and it went to signet
      await expect.poll(() => envServer.output()).toMatch(/PUT \/photos\/hello\.txt 200/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('boto3: the client as written stores and reads back; its presigned URL is SigV4 and works', async () => {
    const code = `${withEndpoint(recipe('boto3').code, boto3Server.url)}\nprint(url)\n`;
    const r = runPython(code);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [body, url] = r.stdout.trim().split('\n');
    expect(body).toBe('hello');
    expect(url).toContain('X-Amz-Algorithm=AWS4-HMAC-SHA256');
    const got = await fetch(url!);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('hello');
  });

  it('AWS SDK for JavaScript v3: forcePathStyle, a PutObject and a presigned GET', async () => {
    expect(sdkServer.cli(['bucket', 'create', 'photos']).status).toBe(0);
    const code = withEndpoint(recipe('sdk-js').code, sdkServer.url);
    // from this checkout, where @aws-sdk/* resolve
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000, env: cleanEnv() });
    expect(r.stdout).toBe('hello\n');
    expect(r.status).toBe(0);
    await expect.poll(() => sdkServer.output()).toMatch(/PUT \/photos\/hello\.txt 200/);
  });
});
