/**
 * S3's limits, answered as S3 answers them: keys over 1024 bytes, single uploads over 5 GiB
 * (refused from the headers, before a byte of body is sent), user metadata over 2 KB; and the
 * server's timeouts against slow and stalled clients.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, validateConfig } from '../../src/config.ts';
import { SERVER_TIMEOUTS, startServer, type RunningServer } from '../../src/server.ts';
import { parseErrorXml } from '../helpers/s3-xml.ts';
import { makeTempDir, REGION, ROOT_KEY, ROOT_SECRET, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';
import { finalAnswer, postForm, presign, presignedPostFields, rawExchange, requestHead, send, signedHeaders, xmlValues } from './client.ts';

const BUCKET = 'limits';
const FIVE_GIB = 5 * 1024 ** 3;

function errorOf(answer: { body: Buffer }) {
  return parseErrorXml(answer.body.toString('utf8'));
}

/** The body of a raw answer (after the last header block). */
function rawBody(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.slice(text.lastIndexOf('\r\n\r\n') + 4);
}

describe('limits as S3 has them', () => {
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

  const target = (url: string) => url.slice(base.length);
  const host = () => `127.0.0.1:${server.port}`;

  describe('keys over 1024 bytes -> KeyTooLongError', () => {
    it('a key of exactly 1024 bytes is stored and read back', async () => {
      const key = 'k'.repeat(1024);
      expect((await send(presign(base, 'PUT', `/${BUCKET}/${key}`), 'PUT', { body: Buffer.from('1024') })).status).toBe(200);
      const got = await send(presign(base, 'GET', `/${BUCKET}/${key}`), 'GET');
      expect(got.body.toString()).toBe('1024');
    });

    it('PutObject with a 1025-byte key -> 400 KeyTooLongError with Size and MaxSizeAllowed', async () => {
      const answer = await send(presign(base, 'PUT', `/${BUCKET}/${'k'.repeat(1025)}`), 'PUT', { body: Buffer.from('x') });
      expect(answer.status).toBe(400);
      expect(errorOf(answer)).toMatchObject({ Code: 'KeyTooLongError', Message: 'Your key is too long', Size: '1025', MaxSizeAllowed: '1024' });
    });

    it('the limit counts UTF-8 bytes: 513 × "é" (1026 bytes) -> KeyTooLongError', async () => {
      const key = encodeURIComponent('é'.repeat(513));
      const answer = await send(presign(base, 'PUT', `/${BUCKET}/${key}`), 'PUT', { body: Buffer.from('x') });
      expect(answer.status).toBe(400);
      expect(errorOf(answer)).toMatchObject({ Code: 'KeyTooLongError', Size: '1026' });
    });

    it('CreateMultipartUpload and CopyObject to a 1025-byte key -> KeyTooLongError', async () => {
      const long = 'm'.repeat(1025);
      const create = await send(presign(base, 'POST', `/${BUCKET}/${long}?uploads`), 'POST');
      expect(create.status).toBe(400);
      expect(errorOf(create).Code).toBe('KeyTooLongError');
      await send(presign(base, 'PUT', `/${BUCKET}/source`), 'PUT', { body: Buffer.from('src') });
      const path = `/${BUCKET}/${long}`;
      const copy = await send(base + path, 'PUT', { headers: signedHeaders(base, 'PUT', path, { headers: { 'x-amz-copy-source': `/${BUCKET}/source` } }) });
      expect(copy.status).toBe(400);
      expect(errorOf(copy).Code).toBe('KeyTooLongError');
    });

    it('a browser POST upload to a 1025-byte key -> KeyTooLongError', async () => {
      const { body, contentType } = postForm(presignedPostFields(BUCKET, 'p'.repeat(1025)), Buffer.from('x'));
      const answer = await send(`${base}/${BUCKET}`, 'POST', { body, headers: { 'content-type': contentType } });
      expect(answer.status).toBe(400);
      expect(errorOf(answer).Code).toBe('KeyTooLongError');
    });
  });

  describe('single uploads over 5 GiB -> EntityTooLarge, refused before the body is sent', () => {
    /** Sends only the request head, and waits for the answer and the server's close. */
    async function headOnly(method: string, path: string, headers: Record<string, string>) {
      return rawExchange(server.port, { script: [requestHead(method, path, { host: host(), ...headers })], waitMs: 10_000 });
    }

    function expectEntityTooLarge(answer: Awaited<ReturnType<typeof rawExchange>>, proposed: number) {
      expect(answer.statuses).toEqual([400]);
      expect(parseErrorXml(rawBody(answer.bytes))).toMatchObject({
        Code: 'EntityTooLarge',
        ProposedSize: String(proposed),
        MaxSizeAllowed: String(FIVE_GIB),
      });
      // The server does not wait for a body it will not store: it answers and hangs up.
      expect(answer.closedByServer).toBe(true);
    }

    it('header-signed PutObject claiming 5 GiB + 1', async () => {
      const path = `/${BUCKET}/huge-header`;
      const answer = await headOnly('PUT', path, { ...signedHeaders(base, 'PUT', path), 'content-length': String(FIVE_GIB + 1) });
      expectEntityTooLarge(answer, FIVE_GIB + 1);
    });

    it('presigned PutObject claiming 5 GiB + 1, with Expect: 100-continue: no 100 Continue, only the refusal', async () => {
      const answer = await headOnly('PUT', target(presign(base, 'PUT', `/${BUCKET}/huge-presigned`)), {
        'content-length': String(FIVE_GIB + 1),
        expect: '100-continue',
      });
      expectEntityTooLarge(answer, FIVE_GIB + 1);
    });

    it('UploadPart claiming 5 GiB + 1', async () => {
      const create = await send(presign(base, 'POST', `/${BUCKET}/huge-part?uploads`), 'POST');
      const uploadId = xmlValues(create.body.toString(), 'UploadId')[0]!;
      const url = presign(base, 'PUT', `/${BUCKET}/huge-part?partNumber=1&uploadId=${uploadId}`);
      expectEntityTooLarge(await headOnly('PUT', target(url), { 'content-length': String(FIVE_GIB + 1) }), FIVE_GIB + 1);
    });

    it('aws-chunked PutObject whose x-amz-decoded-content-length is 5 GiB + 1', async () => {
      const path = `/${BUCKET}/huge-chunked`;
      const headers = signedHeaders(base, 'PUT', path, {
        payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(FIVE_GIB + 1) },
      });
      // The framed body itself is small (a refused small body is read and dropped before the
      // answer, for clients that send it anyway): this client waits for 100 Continue instead.
      const answer = await headOnly('PUT', path, { ...headers, 'content-length': '100', expect: '100-continue' });
      expectEntityTooLarge(answer, FIVE_GIB + 1);
    });

    it('exactly 5 GiB is accepted (100 Continue), and a client that then gives up leaves nothing', async () => {
      const url = presign(base, 'PUT', `/${BUCKET}/exactly-5gib`);
      const answer = await rawExchange(server.port, {
        script: [requestHead('PUT', target(url), { host: host(), 'content-length': String(FIVE_GIB), expect: '100-continue' })],
        waitMs: 10_000,
        stopWhen: (statuses) => statuses.length > 0,
      });
      expect(answer.statuses).toEqual([100]);
      for (let i = 0; i < 100 && readdirSync(join(server.dataDir, 'tmp')).length > 0; i++) await delay(20);
      expect(readdirSync(join(server.dataDir, 'tmp'))).toEqual([]);
      expect((await send(presign(base, 'HEAD', `/${BUCKET}/exactly-5gib`), 'HEAD')).status).toBe(404);
    });

    it('Expect: 100-continue on an accepted upload: 100 Continue comes before the body, then 200', async () => {
      const url = presign(base, 'PUT', `/${BUCKET}/continued`);
      const answer = await rawExchange(server.port, {
        script: [requestHead('PUT', target(url), { host: host(), 'content-length': '5', expect: '100-continue' }), 1500, Buffer.from('hello')],
        waitMs: 5000,
        stopWhen: finalAnswer,
      });
      expect(answer.statuses).toEqual([100, 200]);
      expect(answer.firstByteMs).toBeLessThan(1500);
    });
  });

  describe('user metadata over 2 KB -> MetadataTooLarge', () => {
    const putWithMeta = (key: string, meta: Record<string, string>) => {
      const path = `/${BUCKET}/${key}`;
      const headers = Object.fromEntries(Object.entries(meta).map(([k, v]) => [`x-amz-meta-${k}`, v]));
      return send(base + path, 'PUT', { headers: signedHeaders(base, 'PUT', path, { headers }), body: Buffer.from('m') });
    };

    it('2048 bytes of names and values are stored', async () => {
      expect((await putWithMeta('meta-ok', { a: 'v'.repeat(2047) })).status).toBe(200);
      const head = await send(presign(base, 'HEAD', `/${BUCKET}/meta-ok`), 'HEAD');
      expect(head.headers['x-amz-meta-a']).toBe('v'.repeat(2047));
    });

    it('2049 bytes in one value -> 400 MetadataTooLarge, nothing stored', async () => {
      const answer = await putWithMeta('meta-big', { a: 'v'.repeat(2048) });
      expect(answer.status).toBe(400);
      expect(errorOf(answer)).toMatchObject({ Code: 'MetadataTooLarge', Message: 'Your metadata headers exceed the maximum allowed metadata size.' });
      expect((await send(presign(base, 'HEAD', `/${BUCKET}/meta-big`), 'HEAD')).status).toBe(404);
    });

    it('several values summing over 2 KB -> MetadataTooLarge, for PutObject and CreateMultipartUpload', async () => {
      const meta = { k1: 'x'.repeat(700), k2: 'y'.repeat(700), k3: 'z'.repeat(700) };
      const put = await putWithMeta('meta-sum', meta);
      expect(put.status).toBe(400);
      expect(errorOf(put).Code).toBe('MetadataTooLarge');
      const path = `/${BUCKET}/meta-mp?uploads`;
      const headers = Object.fromEntries(Object.entries(meta).map(([k, v]) => [`x-amz-meta-${k}`, v]));
      const create = await send(base + path, 'POST', { headers: signedHeaders(base, 'POST', path, { headers }) });
      expect(create.status).toBe(400);
      expect(errorOf(create).Code).toBe('MetadataTooLarge');
    });
  });
});

describe('server timeouts against slow clients', () => {
  const IDLE_MS = 1000;
  const HEADERS_MS = 1000;
  let dataDir: string;
  let running: RunningServer;

  beforeAll(async () => {
    dataDir = makeTempDir('signet-timeouts-');
    const config = validateConfig({
      ...DEFAULTS,
      host: '127.0.0.1',
      port: 0,
      dataDir,
      region: REGION,
      rootAccessKeyId: ROOT_KEY,
      rootSecretAccessKey: ROOT_SECRET,
    });
    running = await startServer(config, { timeouts: { idleMs: IDLE_MS, headersMs: HEADERS_MS, checkIntervalMs: 100 } });
    expect((await send(presign(running.url, 'PUT', `/${BUCKET}`), 'PUT')).status).toBe(200);
  });
  afterAll(async () => {
    await running?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const head = (method: string, path: string, headers: Record<string, string>) =>
    requestHead(method, presign(running.url, method, path).slice(running.url.length), { host: `127.0.0.1:${running.port}`, ...headers });

  it('the server has an idle timeout by default, and no total request time limit (uploads may be huge)', async () => {
    const dir = makeTempDir('signet-defaults-');
    const config = validateConfig({ ...DEFAULTS, host: '127.0.0.1', port: 0, dataDir: dir, rootAccessKeyId: ROOT_KEY, rootSecretAccessKey: ROOT_SECRET });
    const plain = await startServer(config);
    try {
      expect(plain.server.timeout).toBe(SERVER_TIMEOUTS.idleMs);
      expect(plain.server.timeout).toBeGreaterThan(0);
      expect(plain.server.headersTimeout).toBe(SERVER_TIMEOUTS.headersMs);
      expect(plain.server.requestTimeout).toBe(0);
    } finally {
      await plain.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a body that stops arriving -> 400 RequestTimeout after the idle time, connection closed, nothing stored', async () => {
    const answer = await rawExchange(running.port, {
      script: [head('PUT', `/${BUCKET}/stalled`, { 'content-length': '1000' }), Buffer.alloc(100, 'a')],
      waitMs: IDLE_MS * 6,
    });
    expect(answer.statuses).toEqual([400]);
    expect(parseErrorXml(rawBody(answer.bytes))).toMatchObject({ Code: 'RequestTimeout' });
    expect(answer.closedByServer).toBe(true);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(answer.elapsedMs).toBeLessThan(IDLE_MS * 4);
    for (let i = 0; i < 50 && readdirSync(join(dataDir, 'tmp')).length > 0; i++) await delay(20);
    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
    expect((await send(presign(running.url, 'HEAD', `/${BUCKET}/stalled`), 'HEAD')).status).toBe(404);
  });

  it('a browser POST upload that stops mid-file -> 400 RequestTimeout, nothing stored', async () => {
    const { body, contentType } = postForm(presignedPostFields(BUCKET, 'stalled-post'), randomBytes(64 * 1024));
    const headers = { host: `127.0.0.1:${running.port}`, 'content-type': contentType, 'content-length': String(body.length) };
    const answer = await rawExchange(running.port, {
      script: [requestHead('POST', `/${BUCKET}`, headers), body.subarray(0, body.length / 2)],
      waitMs: IDLE_MS * 6,
    });
    expect(answer.statuses).toEqual([400]);
    expect(parseErrorXml(rawBody(answer.bytes))).toMatchObject({ Code: 'RequestTimeout' });
    expect(answer.closedByServer).toBe(true);
    for (let i = 0; i < 50 && readdirSync(join(dataDir, 'tmp')).length > 0; i++) await delay(20);
    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
    expect((await send(presign(running.url, 'HEAD', `/${BUCKET}/stalled-post`), 'HEAD')).status).toBe(404);
  });

  it('a body that keeps arriving slowly is never cut, however long it takes in total', async () => {
    const pieces: (Buffer | number)[] = [head('PUT', `/${BUCKET}/trickle`, { 'content-length': '40' })];
    for (let i = 0; i < 8; i++) pieces.push(IDLE_MS * 0.35, Buffer.alloc(5, String(i)));
    const answer = await rawExchange(running.port, { script: pieces, waitMs: 5000, stopWhen: finalAnswer });
    expect(answer.statuses).toEqual([200]);
    const got = await send(presign(running.url, 'GET', `/${BUCKET}/trickle`), 'GET');
    expect(got.body.toString()).toBe('0000011111222223333344444555556666677777');
  });

  it('headers dribbled byte by byte (slowloris) are cut after the headers timeout', async () => {
    const script: (Buffer | number)[] = [Buffer.from(`GET /${BUCKET}/x HTTP/1.1\r\nHost: 127.0.0.1\r\n`)];
    for (let i = 0; i < 20; i++) script.push(IDLE_MS / 3, Buffer.from(`X-Slow-${i}: a\r\n`));
    const answer = await rawExchange(running.port, { script, waitMs: 2000 });
    expect(answer.closedByServer).toBe(true);
    // 20 headers at IDLE_MS / 3 would take 6.7 s: the server hung up long before.
    expect(answer.elapsedMs).toBeLessThan(HEADERS_MS + 3000);
    expect(answer.statuses.every((s) => s === 408)).toBe(true);
  });

  it('a download the client stops reading is cut after the idle time', async () => {
    const size = 32 * 1024 * 1024;
    expect((await send(presign(running.url, 'PUT', `/${BUCKET}/big`), 'PUT', { body: randomBytes(size) })).status).toBe(200);
    const { connect } = await import('node:net');
    const socket = connect({ host: '127.0.0.1', port: running.port });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(head('GET', `/${BUCKET}/big`, {}));
    socket.pause();
    await delay(IDLE_MS * 4);
    let received = 0;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (c: Buffer) => (received += c.length));
    socket.resume();
    await Promise.race([closed, delay(10_000)]);
    socket.destroy();
    expect(received).toBeLessThan(size);
  });
});
