/**
 * The `--demo` routes: the upload page and its policy helper, which signs with the demo token
 * and never shows its secret. The policy it hands out is enforced by POST Object like any other.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, systemClock, validateConfig, type Config } from '../../src/config.ts';
import { createApp } from '../../src/http/app.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import type { Storage } from '../../src/storage/types.ts';
import { parseErrorXml } from '../helpers/s3-xml.ts';

const ROOT = { accessKeyId: 'demoroot', secretAccessKey: 'demoroot-secret-0123456789' };
const DEMO = { accessKeyId: 'demosigner', secretAccessKey: 'demosigner-secret-abcdefgh' };

interface Running {
  url: string;
  storage: Storage;
  close(): Promise<void>;
}

async function start(demoAccessKeyId: string | undefined): Promise<Running> {
  const dataDir = await mkdtemp(join(tmpdir(), 'signet-demo-'));
  const config: Readonly<Config> = validateConfig({
    ...DEFAULTS,
    dataDir,
    port: 0,
    rootAccessKeyId: ROOT.accessKeyId,
    rootSecretAccessKey: ROOT.secretAccessKey,
    demoAccessKeyId,
  });
  const storage = await openStorage(dataDir);
  storage.meta.upsertRootToken(ROOT.accessKeyId, ROOT.secretAccessKey, new Date());
  storage.meta.createBucket('demo', new Date());
  const server: Server = createServer(createApp({ config, storage, clock: systemClock }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    storage,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

let demo: Running;

beforeAll(async () => {
  demo = await start(DEMO.accessKeyId);
  demo.storage.meta.insertToken({
    ...DEMO,
    name: 'demo',
    access: 'write',
    buckets: ['demo'],
    prefix: null,
    expiresAt: null,
    revokedAt: null,
    createdAt: new Date().toISOString(),
    root: false,
  });
});
afterAll(async () => {
  await demo?.close();
});

async function policy(query: Record<string, string>, base = demo.url) {
  const res = await fetch(`${base}/_signet/demo/policy?${new URLSearchParams(query)}`);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as { fields: Record<string, string>; key: string; error?: string } };
}

async function upload(fields: Record<string, string>, bytes: Buffer, name = 'file.txt') {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([bytes]), name);
  const res = await fetch(`${demo.url}/demo`, { method: 'POST', body: form });
  const text = await res.text();
  return { status: res.status, text, error: text.includes('<Error>') ? parseErrorXml(text) : undefined };
}

describe('GET /_signet/demo/upload', () => {
  it('is a self-contained HTML page: no external script, style or font, no secret', async () => {
    const res = await fetch(`${demo.url}/_signet/demo/upload`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<form id="uploader">');
    expect(html).toContain('<form id="plain-form" method="post" enctype="multipart/form-data">');
    expect(html).toContain(`<code id="access-key">${DEMO.accessKeyId}</code>`);
    // Works offline: nothing loaded from anywhere (no src=/href= resources, no absolute URL at all).
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|https?:\/\//i);
    expect(html).not.toContain(DEMO.secretAccessKey);
    expect(html).not.toContain(ROOT.secretAccessKey);
  });

  it('is not served without --demo', async () => {
    const plain = await start(undefined);
    try {
      const res = await fetch(`${plain.url}/_signet/demo/upload`);
      const text = await res.text();
      expect(text).not.toContain('<form id="uploader">');
      const p = await fetch(`${plain.url}/_signet/demo/policy?bucket=demo`);
      expect(await p.text()).not.toContain('"fields"');
    } finally {
      await plain.close();
    }
  });
});

describe('GET /_signet/demo/policy', () => {
  it('signs a policy with the demo token, readable from any origin, without the secret', async () => {
    const answer = await policy({ bucket: 'demo', key: 'in/${filename}', maxSize: '16', contentType: 'text/plain', 'x-amz-meta-note': 'hi' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.text).not.toContain(DEMO.secretAccessKey);
    const { fields } = answer.body;
    expect(fields['x-amz-credential']).toMatch(new RegExp(`^${DEMO.accessKeyId}/\\d{8}/us-east-1/s3/aws4_request$`));
    expect(fields['Content-Type']).toBe('text/plain');
    expect(fields.success_action_status).toBe('201');
    const conditions = JSON.parse(Buffer.from(fields.policy!, 'base64').toString()).conditions as unknown[];
    expect(conditions).toContainEqual(['content-length-range', 0, 16]);
    expect(conditions).toContainEqual(['starts-with', '$key', 'in/']);
  });

  it('its fields upload a file within the limit, and a file over it is refused EntityTooLarge', async () => {
    const { fields } = (await policy({ bucket: 'demo', key: 'in/${filename}', maxSize: '16', 'x-amz-meta-note': 'hi' })).body;
    const ok = await upload(fields, Buffer.from('sixteen bytes ok'), 'small.txt');
    expect(ok.status, ok.text).toBe(201);
    expect(ok.text).toContain('<Key>in/small.txt</Key>');
    const stored = demo.storage.meta.getObject('demo', 'in/small.txt')!;
    expect(stored.metadata.userMetadata).toEqual({ note: 'hi' });
    const tooBig = await upload(fields, Buffer.from('seventeen bytes!!'), 'big.txt');
    expect([tooBig.status, tooBig.error?.Code, tooBig.error?.MaxSizeAllowed]).toEqual([400, 'EntityTooLarge', '16']);
    expect(demo.storage.meta.getObject('demo', 'in/big.txt')).toBeUndefined();
  });

  it('signatureVersion=v2 hands out SigV2 fields that work', async () => {
    const { fields } = (await policy({ bucket: 'demo', key: 'v2.txt', signatureVersion: 'v2' })).body;
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['AWSAccessKeyId', 'signature', 'policy']));
    expect((await upload(fields, Buffer.from('v2'))).status).toBe(201);
  });

  it('refuses a missing bucket and bad sizes with 400 and a message', async () => {
    expect((await policy({ key: 'x' })).status).toBe(400);
    const bad = await policy({ bucket: 'demo', maxSize: 'ten' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/maxSize/);
    expect((await policy({ bucket: 'demo', minSize: '10', maxSize: '5' })).status).toBe(400);
    expect((await policy({ bucket: 'demo', expiresIn: '0' })).status).toBe(400);
  });

  it('a demo token that does not exist -> 503 with how to fix it', async () => {
    const missing = await start('nosuchdemotoken');
    try {
      const answer = await policy({ bucket: 'demo' }, missing.url);
      expect(answer.status).toBe(503);
      expect(answer.body.error).toContain('nosuchdemotoken');
    } finally {
      await missing.close();
    }
  });
});
