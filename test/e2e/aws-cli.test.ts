/**
 * The AWS CLI that ships on the machine image, at its default settings, against a spawned
 * signet: large uploads (multipart, checksums as the CLI sends them), listings, deletes.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, REGION, ROOT_KEY, ROOT_SECRET, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasAws)('aws CLI (as installed, default settings)', () => {
  let s: SpawnedServer;
  let work: string;
  const aws = (args: string[], secret = ROOT_SECRET) => {
    const r = spawnSync('aws', ['--endpoint-url', s.url, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: ROOT_KEY,
        AWS_SECRET_ACCESS_KEY: secret,
        AWS_DEFAULT_REGION: REGION,
        AWS_CONFIG_FILE: join(work, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_PAGER: '',
      },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    s = await startSignet();
    work = makeTempDir('signet-awscli-');
  });
  afterAll(async () => {
    await s.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('s3 mb, then cp of a 20 MiB file up and down returns the exact bytes', () => {
    expect(aws(['s3', 'mb', 's3://cli-bucket']).status).toBe(0);
    const data = randomBytes(20 * 1024 * 1024);
    const src = join(work, 'up.bin');
    const dst = join(work, 'down.bin');
    writeFileSync(src, data);
    const up = aws(['s3', 'cp', src, 's3://cli-bucket/dir/big file.bin']);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    const down = aws(['s3', 'cp', 's3://cli-bucket/dir/big file.bin', dst]);
    expect(down.status).toBe(0);
    expect(readFileSync(dst).equals(data)).toBe(true);
  });

  it('s3 ls lists the object with its size; s3api list-objects-v2 returns it as JSON', () => {
    const ls = aws(['s3', 'ls', 's3://cli-bucket/dir/']);
    expect(ls.status).toBe(0);
    expect(ls.stdout).toMatch(/20971520 big file\.bin/);
    const api = aws(['s3api', 'list-objects-v2', '--bucket', 'cli-bucket', '--output', 'json']);
    expect(api.status).toBe(0);
    const parsed = JSON.parse(api.stdout);
    expect(parsed.Contents.map((o: { Key: string; Size: number }) => [o.Key, o.Size])).toEqual([['dir/big file.bin', 20971520]]);
    // a 20 MiB file goes up in parts: the ETag is the multipart form "<md5 of md5s>-N"
    expect(parsed.Contents[0].ETag).toMatch(/^"[0-9a-f]{32}-\d+"$/);
  });

  it('a small file round-trips through a single PutObject with its plain MD5 ETag', () => {
    const src = join(work, 'small.txt');
    writeFileSync(src, 'hello from the aws cli\n');
    expect(aws(['s3', 'cp', src, 's3://cli-bucket/small.txt']).status).toBe(0);
    const head = aws(['s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'small.txt', '--output', 'json']);
    expect(head.status).toBe(0);
    expect(JSON.parse(head.stdout).ETag).toBe(`"${createHash('md5').update('hello from the aws cli\n').digest('hex')}"`);
    const down = aws(['s3', 'cp', 's3://cli-bucket/small.txt', '-']);
    expect(down.stdout).toBe('hello from the aws cli\n');
  });

  it('s3 rm deletes; the listing is then empty', () => {
    expect(aws(['s3', 'rm', 's3://cli-bucket/dir/big file.bin']).status).toBe(0);
    expect(aws(['s3', 'rm', 's3://cli-bucket/small.txt']).status).toBe(0);
    const api = aws(['s3api', 'list-objects-v2', '--bucket', 'cli-bucket', '--output', 'json']);
    expect(api.status).toBe(0);
    expect(api.stdout.trim() === '' ? undefined : JSON.parse(api.stdout).Contents).toBeUndefined();
  });

  it('a wrong secret is refused with SignatureDoesNotMatch', () => {
    const r = aws(['s3', 'ls', 's3://cli-bucket/'], 'not-the-secret');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('SignatureDoesNotMatch');
  });
});
