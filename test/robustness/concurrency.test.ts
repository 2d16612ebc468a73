/**
 * Concurrency: writers racing on one key, readers racing an overwrite, and a CLI revoke racing
 * streaming requests, all against a real `signet serve`.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';
import { parseErrorXml } from '../helpers/s3-xml.ts';
import { blobFiles, cliAsync, md5Hex, presign, referencedBlobs, send, signedHeaders, type Credentials } from './client.ts';

const BUCKET = 'race';
let server: SpawnedServer;
let base: string;

beforeAll(async () => {
  server = await startSignet();
  base = server.url;
  expect((await send(presign(base, 'PUT', `/${BUCKET}`), 'PUT')).status).toBe(200);
});

afterAll(async () => {
  await server?.stop();
});

const put = (key: string, body: Buffer, opts: { pieceSize?: number; pauseMs?: number } = {}) =>
  send(presign(base, 'PUT', `/${BUCKET}/${key}`), 'PUT', { body, ...opts });

/**
 * A GET that reads slowly and calls `onFirstChunk` once bytes start arriving; with `hold`, it
 * stops reading after the first chunk until `hold` resolves.
 */
function slowGet(url: string, onFirstChunk: () => void, hold?: Promise<void>): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let first = true;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        res.pause();
        if (first) {
          first = false;
          onFirstChunk();
          if (hold) return void hold.then(() => res.resume());
        }
        setTimeout(() => res.resume(), 2);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const cli = (args: string[]) => cliAsync(server.dataDir, args);

describe('concurrent writers and readers', () => {
  it('20 concurrent PUTs of different bodies to one key leave exactly one of them, whole, and no stray blob', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => randomBytes(256 * 1024 + i * 4096));
    const answers = await Promise.all(bodies.map((body) => put('one-key', body, { pieceSize: 32 * 1024, pauseMs: 1 })));
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 200));
    answers.forEach((a, i) => expect(a.headers.etag).toBe(`"${md5Hex(bodies[i]!)}"`));

    const got = await send(presign(base, 'GET', `/${BUCKET}/one-key`), 'GET');
    expect(got.status).toBe(200);
    const winners = bodies.filter((b) => b.equals(got.body));
    expect(winners).toHaveLength(1);
    expect(got.headers.etag).toBe(`"${md5Hex(got.body)}"`);
    expect(Number(got.headers['content-length'])).toBe(got.body.length);
    // 19 replaced blobs were removed (each once the commit that replaced it was flushed, a
    // moment after its answer); every blob on disk is a row's.
    await vi.waitFor(() => expect(blobFiles(server.dataDir)).toEqual(referencedBlobs(server.dataDir)));
  });

  it('a GET racing an overwrite returns the old body or the new one, whole, never a mix', async () => {
    const size = 768 * 1024;
    let current = randomBytes(size);
    expect((await put('hot', current)).status).toBe(200);
    const outcomes = { old: 0, new: 0 };
    for (let round = 0; round < 36; round++) {
      const next = randomBytes(size);
      let got: { status: number; body: Buffer };
      if (round % 2 === 0) {
        // The overwrite starts as the GET begins streaming the old blob.
        let writing: Promise<unknown> = Promise.resolve();
        got = await slowGet(presign(base, 'GET', `/${BUCKET}/hot`), () => (writing = put('hot', next)));
        expect(((await writing) as { status: number }).status).toBe(200);
      } else {
        // The GET starts while the overwrite is being committed.
        const writing = put('hot', next, { pieceSize: 64 * 1024 });
        await delay(round % 3);
        got = await send(presign(base, 'GET', `/${BUCKET}/hot`), 'GET');
        expect((await writing).status).toBe(200);
      }
      expect(got.status).toBe(200);
      const isOld = got.body.equals(current);
      const isNew = got.body.equals(next);
      expect(isOld || isNew, `round ${round}: ${got.body.length} bytes that are neither the old nor the new body`).toBe(true);
      outcomes[isOld ? 'old' : 'new']++;
      current = next;
    }
    // Both sides of the race were seen: the test did race.
    expect(outcomes.old).toBeGreaterThan(0);
    await vi.waitFor(() => expect(blobFiles(server.dataDir)).toEqual(referencedBlobs(server.dataDir)));
  });
});

describe('a CLI revoke while requests stream', () => {
  it('is honoured on the next request: header-signed, presigned before the revoke, and on a kept-alive connection', async () => {
    const created = await cli(['token', 'create', '--name', 'streamer', '--access', 'read-write', '--json']);
    expect(created.status).toBe(0);
    const token = JSON.parse(created.stdout) as Credentials;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const seed = randomBytes(4 * 1024 * 1024);
      expect((await send(presign(base, 'PUT', `/${BUCKET}/by-token`, { creds: token }), 'PUT', { body: seed })).status).toBe(200);
      const presignedBefore = presign(base, 'GET', `/${BUCKET}/by-token`, { creds: token });
      const onSocket = (path: string) => send(base + path, 'GET', { headers: signedHeaders(base, 'GET', path, { creds: token }), agent });

      // Streaming when the revoke lands: an upload held half-sent, and a download held after
      // its first chunk, both until the revoke is done.
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const upload = randomBytes(2 * 1024 * 1024);
      let sent = 0;
      const uploading = send(presign(base, 'PUT', `/${BUCKET}/long-upload`, { creds: token }), 'PUT', {
        body: upload,
        pieceSize: 64 * 1024,
        holdAtHalf: held,
        onProgress: (n) => (sent = n),
      });
      let downloadStarted: () => void = () => {};
      const started = new Promise<void>((resolve) => (downloadStarted = resolve));
      const downloading = slowGet(presignedBefore, () => downloadStarted(), held);
      await started;
      while (sent < upload.length / 2) await delay(5);

      expect((await onSocket(`/${BUCKET}/by-token`)).status).toBe(200);
      const revoked = await cli(['token', 'revoke', token.accessKeyId]);
      expect(revoked.status).toBe(0);
      expect(sent).toBeLessThan(upload.length);
      release();

      // In flight when revoked: may finish (authenticated at its start) or be refused; never a 5xx.
      const [up, down] = await Promise.all([uploading, downloading]);
      expect([200, 403]).toContain(up.status);
      expect(down.status).toBe(200);
      expect(down.body.equals(seed)).toBe(true);

      // The next requests are refused, whichever way they are signed.
      const sameConnection = await onSocket(`/${BUCKET}/by-token`);
      expect(sameConnection.reusedSocket).toBe(true);
      const next = [
        sameConnection,
        await send(presignedBefore, 'GET'),
        await send(presign(base, 'GET', `/${BUCKET}/by-token`, { creds: token }), 'GET'),
        await send(presign(base, 'PUT', `/${BUCKET}/after-revoke`, { creds: token }), 'PUT', { body: Buffer.from('x') }),
      ];
      for (const answer of next) {
        expect(answer.status).toBe(403);
        expect(parseErrorXml(answer.body.toString()).Code).toBe('InvalidAccessKeyId');
      }
      expect((await send(presign(base, 'GET', `/${BUCKET}/after-revoke`), 'GET')).status).toBe(404);
    } finally {
      agent.destroy();
    }
  });
});
