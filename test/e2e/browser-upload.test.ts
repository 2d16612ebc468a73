/**
 * A real browser (Debian's chromium, headless, driven by playwright-core) uses signet's demo
 * page: the page is loaded from one origin (http://localhost:PORT) and uploads straight to
 * signet at another (http://127.0.0.1:PORT), which only works because the bucket has a CORS rule
 * for the page's origin. The stored object's bytes and metadata are checked with the SDK, a
 * file over the policy's size limit is refused and the page says so, and without a CORS rule
 * the page cannot read signet's answer. Screenshots of each state go to test-output/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, REGION, ROOT_KEY, ROOT_SECRET, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser-upload: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);

const SHOTS = join(PROJECT_ROOT, 'test-output');

describe.skipIf(!hasChromium)('browser upload from another origin (chromium)', () => {
  let s: SpawnedServer;
  let root: S3Client;
  let browser: Browser;
  let page: Page;
  let pageOrigin: string;

  beforeAll(async () => {
    s = await startSignet({ args: ['--demo'] });
    pageOrigin = `http://localhost:${s.port}`;
    const created = s.cli(['bucket', 'create', 'web', '--cors-origin', pageOrigin]);
    expect(created.status, created.stderr).toBe(0);
    root = new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, credentials: { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET } });
    await root.send(new CreateBucketCommand({ Bucket: 'nocors' }));
    mkdirSync(SHOTS, { recursive: true });
    // launch() starts from a new, empty, temporary profile of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  async function openDemo(bucket: string) {
    const query = new URLSearchParams({ endpoint: s.url, bucket, maxSize: '1024' });
    await page.goto(`${pageOrigin}/_signet/demo/upload?${query}`);
    expect(new URL(page.url()).origin).not.toBe(new URL(s.url).origin);
  }

  async function uploadThroughPage(file: { name: string; mimeType: string; buffer: Buffer }, key: string, note: string) {
    await page.fill('#key', key);
    await page.fill('#note', note);
    await page.setInputFiles('#file', file);
    await page.click('#upload');
    await page.waitForSelector('#result:is([data-outcome="stored"], [data-outcome="refused"], [data-outcome="error"])', { timeout: 10_000 });
    return {
      outcome: await page.getAttribute('#result', 'data-outcome'),
      status: (await page.textContent('#status')) ?? '',
      response: (await page.textContent('#response')) ?? '',
    };
  }

  async function head(bucket: string, key: string): Promise<boolean> {
    try {
      await root.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'NotFound') return false;
      throw err;
    }
  }

  it('uploads a file within the limit: the page shows it stored, signet has its bytes and metadata', async () => {
    await openDemo('web');
    const bytes = Buffer.from('Hello from a real browser, across origins.\n');
    const shown = await uploadThroughPage({ name: 'hello.txt', mimeType: 'text/plain', buffer: bytes }, 'browser/${filename}', 'sent by chromium');
    await page.screenshot({ path: join(SHOTS, 'browser-upload-stored.png'), fullPage: true });
    expect(shown.outcome, shown.status).toBe('stored');
    expect(shown.status).toContain('Stored: web/browser/hello.txt (HTTP 201');
    expect(shown.response).toContain('<Key>browser/hello.txt</Key>');

    const object = await root.send(new GetObjectCommand({ Bucket: 'web', Key: 'browser/hello.txt' }));
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes)).toBe(true);
    expect(object.ContentType).toBe('text/plain');
    expect(object.Metadata).toEqual({ note: 'sent by chromium' });
  });

  it('a file over the policy size limit is refused, and the page shows the refusal', async () => {
    await openDemo('web');
    const shown = await uploadThroughPage({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(4096, 7) }, 'browser/${filename}', 'too big');
    await page.screenshot({ path: join(SHOTS, 'browser-upload-refused.png'), fullPage: true });
    expect(shown.outcome, shown.status).toBe('refused');
    expect(shown.status).toBe('Refused: HTTP 400 EntityTooLarge: Your proposed upload exceeds the maximum allowed size');
    expect(shown.response).toContain('<MaxSizeAllowed>1024</MaxSizeAllowed>');
    expect(await head('web', 'browser/big.bin')).toBe(false);
  });

  it('the plain HTML form (no fetch) posts the file and the browser shows the PostResponse', async () => {
    await openDemo('web');
    await page.fill('#key', 'plain/${filename}');
    await page.fill('#note', 'plain form');
    await page.setInputFiles('#plain-file', { name: 'plain.txt', mimeType: 'text/plain', buffer: Buffer.from('sent by a plain form') });
    await page.click('#prepare');
    await page.waitForSelector('#plain-submit:not([disabled])');
    await Promise.all([page.waitForURL(`${s.url}/web`), page.click('#plain-submit')]);
    await page.screenshot({ path: join(SHOTS, 'browser-upload-plain-form.png'), fullPage: true });
    expect(await page.textContent('body')).toContain('plain/plain.txt');
    const object = await root.send(new GetObjectCommand({ Bucket: 'web', Key: 'plain/plain.txt' }));
    expect(await object.Body!.transformToString()).toBe('sent by a plain form');
    expect(object.Metadata).toEqual({ note: 'plain form' });
  });

  it('without a CORS rule for the page origin, the browser does not let the page read the answer', async () => {
    await openDemo('nocors');
    const shown = await uploadThroughPage({ name: 'c.txt', mimeType: 'text/plain', buffer: Buffer.from('cors') }, 'c.txt', 'no cors');
    await page.screenshot({ path: join(SHOTS, 'browser-upload-no-cors.png'), fullPage: true });
    expect(shown.outcome).toBe('error');
    expect(shown.status).toContain(`Does the bucket have a CORS rule for ${pageOrigin}?`);
  });
});
