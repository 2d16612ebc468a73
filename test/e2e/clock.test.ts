/**
 * Clock control: tests that need expiry move the server's clock with `signet clock` instead of
 * sleeping; a server started without --clock-control ignores it.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parseErrorXml } from '../helpers/s3-xml.ts';
import { REGION, ROOT_KEY, ROOT_SECRET, startSignet } from '../helpers/spawn-server.ts';

/**
 * A GET on a fresh connection: the CLI runs synchronously between requests, long enough for the
 * server to close an idle kept-alive socket that fetch would otherwise reuse.
 */
function fetch(url: string): Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode!,
          headers: { get: (name) => (res.headers[name.toLowerCase()] as string | undefined) ?? null },
          text: async () => body,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function setup(args: string[]) {
  const s = await startSignet({ args });
  const c = new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, credentials: { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET } });
  await c.send(new CreateBucketCommand({ Bucket: 'clock' }));
  await c.send(new PutObjectCommand({ Bucket: 'clock', Key: 'k', Body: 'tick' }));
  const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'clock', Key: 'k' }), { expiresIn: 3600 });
  return { s, url };
}

describe('signet clock', () => {
  it('with --clock-control: a 1-hour URL is refused after `clock advance 2h` and accepted after `clock reset`', async () => {
    const { s, url } = await setup(['--clock-control']);
    try {
      expect(s.output()).toContain('clock control ON');
      expect((await fetch(url)).status).toBe(200);
      expect(s.cli(['clock', 'advance', '2h']).status).toBe(0);
      const refused = await fetch(url);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('x-signet-clock-offset')).toBe(String(2 * 3600 * 1000));
      const err = parseErrorXml(await refused.text());
      expect(err).toMatchObject({ Code: 'AccessDenied', Message: 'Request has expired' });
      const shown = JSON.parse(s.cli(['clock', 'show', '--json']).stdout);
      expect(shown.offsetMs).toBe(7_200_000);
      expect(shown.serverHonoursOffset).toBe(true);
      expect(s.cli(['clock', 'reset']).status).toBe(0);
      const back = await fetch(url);
      expect(back.status).toBe(200);
      expect(back.headers.get('x-signet-clock-offset')).toBeNull();
      expect(await back.text()).toBe('tick');
    } finally {
      await s.stop();
    }
  });

  it('expiry is checked when a request starts: a download in progress is never cut', async () => {
    const { s } = await setup(['--clock-control']);
    try {
      const c = new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, credentials: { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET } });
      const body = Buffer.alloc(16 * 1024 * 1024, 'z');
      await c.send(new PutObjectCommand({ Bucket: 'clock', Key: 'big', Body: body }));
      const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'clock', Key: 'big' }), { expiresIn: 60 });
      const received = await new Promise<Buffer>((resolve, reject) => {
        const req = httpRequest(url, { agent: false }, (res) => {
          expect(res.statusCode).toBe(200);
          const chunks: Buffer[] = [];
          let moved = false;
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            if (!moved) {
              moved = true;
              // the URL expires while its download is still streaming
              res.pause();
              expect(s.cli(['clock', 'advance', '2h']).status).toBe(0);
              res.resume();
            }
          });
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      expect(received.equals(body)).toBe(true);
      expect((await fetch(url)).status).toBe(403);
    } finally {
      await s.stop();
    }
  });

  it('clock set moves to an absolute time', async () => {
    const { s, url } = await setup(['--clock-control']);
    try {
      expect(s.cli(['clock', 'set', '2035-01-01T00:00:00Z']).status).toBe(0);
      expect((await fetch(url)).status).toBe(403);
      expect(s.cli(['clock', 'set', 'next tuesday']).status).toBe(2);
    } finally {
      await s.stop();
    }
  });

  it('without --clock-control nothing moves, and `signet clock` says so', async () => {
    const { s, url } = await setup([]);
    try {
      const r = s.cli(['clock', 'advance', '2h']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('without --clock-control');
      expect((await fetch(url)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});
