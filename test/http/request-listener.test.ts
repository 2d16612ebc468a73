/**
 * The server's request listener (s3-handler.ts): S3 and the health check are answered without
 * signet's Express endpoints, which are made on the first request for one of them, once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig, type Clock } from '../../src/config.ts';
import { createApp } from '../../src/http/app.ts';
import { createRequestListener, type AppDeps, type SignetEndpoints } from '../../src/http/s3-handler.ts';
import { presignUrl } from '../../src/sigv4/sign.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import { parseErrorXml } from '../helpers/s3-xml.ts';

const HOST = 'signet.test';
const ROOT = { accessKeyId: 'listenerroot', secretAccessKey: 'listenerroot-secret-123' };
const NOW = new Date('2026-03-01T12:00:00Z');
const clock: Clock = { now: () => NOW };

let dir: string;
let deps: AppDeps;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signet-listener-'));
  const storage = await openStorage(dir);
  storage.meta.upsertRootToken(ROOT.accessKeyId, ROOT.secretAccessKey, NOW);
  storage.meta.createBucket('listener-bucket', NOW);
  const config = validateConfig({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    region: 'us-east-1',
    rootAccessKeyId: ROOT.accessKeyId,
    rootSecretAccessKey: ROOT.secretAccessKey,
    clockControl: false,
  });
  deps = { config, storage, clock };
});
afterAll(() => {
  deps.storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A listener whose endpoints loader counts its calls, resolving after `delayMs`. */
function listenerCountingLoads(delayMs = 0, fail = false) {
  let loads = 0;
  const listener = createRequestListener(deps, async () => {
    loads++;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (fail) throw new Error('endpoints failed to load');
    const app = createApp(deps);
    return ((req: IncomingMessage, res: ServerResponse) => app(req, res)) as SignetEndpoints;
  });
  return { listener, loads: () => loads };
}

describe('createRequestListener', () => {
  it('answers the health check and S3 requests without making the endpoints', async () => {
    const { listener, loads } = listenerCountingLoads();
    const health = await request(listener).get('/_signet/health').set('Host', HOST);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', service: 'signet', region: 'us-east-1', time: NOW.toISOString() });
    expect(health.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    const path = presignUrl({ method: 'GET', url: `http://${HOST}/listener-bucket/missing`, ...ROOT, region: 'us-east-1', now: NOW, expiresIn: 60 }).replace(`http://${HOST}`, '');
    const s3 = await request(listener).get(path).set('Host', HOST);
    expect(s3.status).toBe(404);
    expect(parseErrorXml(s3.text).Code).toBe('NoSuchKey');
    expect(loads()).toBe(0);
  });

  it('the health check answers the same JSON and headers as the Express route', async () => {
    const { listener } = listenerCountingLoads();
    const fast = await request(listener).get('/_signet/health').set('Host', HOST);
    const viaExpress = await request(createApp(deps)).get('/_signet/health').set('Host', HOST);
    expect(fast.body).toEqual(viaExpress.body);
    expect(fast.headers['content-type']).toBe(viaExpress.headers['content-type']);
    // HEAD: the GET's headers, its Content-Length included (an ISO time is always 24 characters).
    const head = await request(listener).head('/_signet/health').set('Host', HOST);
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe(fast.headers['content-type']);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(fast.text)));
  });

  it('makes the endpoints once, on the first request for one, even for requests arriving together', async () => {
    const { listener, loads } = listenerCountingLoads(30);
    const answers = await Promise.all([
      request(listener).get('/_signet/').set('Host', 'localhost'),
      request(listener).get('/_signet/').set('Host', 'localhost'),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect((await request(listener).get('/_signet/').set('Host', 'localhost')).status).toBe(200);
    expect(loads()).toBe(1);
  });

  it('on a virtual-hosted bucket /_signet/… is an object key: the S3 handler answers, with or without Express', async () => {
    const path = '/_signet/health';
    const url = presignUrl({ method: 'GET', url: `http://listener-bucket.localhost${path}`, ...ROOT, region: 'us-east-1', now: NOW, expiresIn: 60 });
    const query = url.slice(url.indexOf('?'));
    for (const handler of [listenerCountingLoads().listener, createApp(deps)]) {
      const r = await request(handler).get(`${path}${query}`).set('Host', 'listener-bucket.localhost');
      expect(r.status).toBe(404);
      expect(parseErrorXml(r.text)).toMatchObject({ Code: 'NoSuchKey', Key: '_signet/health' });
    }
  });

  it('endpoints that fail to load answer 500 InternalError as S3 XML, and the next request tries again', async () => {
    const { listener, loads } = listenerCountingLoads(0, true);
    const first = await request(listener).get('/_signet/').set('Host', 'localhost');
    expect(first.status).toBe(500);
    expect(parseErrorXml(first.text).Code).toBe('InternalError');
    await request(listener).get('/_signet/').set('Host', 'localhost');
    expect(loads()).toBe(2);
  });
});
