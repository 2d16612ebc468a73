/**
 * The web inspector in a real browser (Debian's chromium, headless, driven by playwright-core)
 * against a real `signet serve`: the live log shows a refusal as it happens, its page shows the
 * steps, and the explain form gives a verdict with the differing canonical-request line marked.
 * Screenshots of each page are kept under test-output/inspector/ (gitignored).
 */
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignUrl, signRequest } from '../../src/sigv4/sign.ts';
import { sha256Hex } from '../../src/sigv4/signing-key.ts';
import { PROJECT_ROOT, REGION, ROOT_KEY, ROOT_SECRET, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SHOTS = join(PROJECT_ROOT, 'test-output', 'inspector');
const BUCKET = 'gallery';

if (!hasChromium) console.warn(`inspector-browser: skipped, no chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!hasChromium)('the inspector in chromium', () => {
  let s: SpawnedServer;
  let browser: Browser;
  let page: Page;

  const creds = (secretAccessKey = ROOT_SECRET) => ({ accessKeyId: ROOT_KEY, secretAccessKey, region: REGION, now: new Date() });
  const presign = (key: string, secret?: string) => presignUrl({ method: 'GET', url: `${s.url}/${BUCKET}/${key}`, expiresIn: 900, ...creds(secret) });

  async function put(key: string, body: string): Promise<void> {
    const url = `${s.url}/${BUCKET}/${key}`;
    const signed = signRequest({ method: 'PUT', url, payloadHash: sha256Hex(body), ...creds() });
    const { host: _host, ...headers } = signed.headers;
    expect((await fetch(url, { method: 'PUT', headers, body })).status).toBe(200);
  }

  /** Submits the explain form and waits for the new page. */
  async function submitExplain(): Promise<void> {
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/_signet/explain') && r.request().method() === 'POST'),
      page.locator('button[type=submit]').click(),
    ]);
    await page.waitForLoadState('domcontentloaded');
  }

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await startSignet();
    expect(s.cli(['bucket', 'create', BUCKET]).status).toBe(0);
    expect(s.cli(['token', 'create', '--name', 'uploader', '--access', 'write', '--bucket', BUCKET, '--prefix', 'uploads/']).status).toBe(0);
    await put('cat.png', 'not really a png');
    await put('uploads/2026/report.pdf', 'a report');
    expect((await fetch(presign('cat.png'))).status).toBe(200);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('the overview shows a refusal in the live log, highlighted, without reloading', async () => {
    await page.goto(`${s.url}/_signet/`);
    await expect(page.locator('h2#buckets').textContent()).resolves.toContain('Buckets (1)');
    await expect(page.locator('table').nth(1).textContent()).resolves.toContain('uploader');
    // Refused after the page loaded: only the page's polling can show it.
    const refused = await fetch(presign('cat.png', 'a-wrong-secret-0000'));
    expect(refused.status).toBe(403);
    const requestId = refused.headers.get('x-amz-request-id')!;
    const row = page.locator(`#log-rows tr[data-request-id="${requestId}"]`);
    await row.waitFor({ timeout: 15_000 });
    await expect(row.getAttribute('class')).resolves.toBe('refused');
    await expect(row.textContent()).resolves.toContain('SignatureDoesNotMatch');
    await shot('overview');
    copyFileSync(join(SHOTS, 'overview.png'), join(SHOTS, 'inspector.png'));
  });

  it("clicking the refusal opens its steps: the failed 'signature' step, signatures redacted", async () => {
    await page.locator('#log-rows tr.refused a.open-steps').first().click();
    await page.waitForURL(/\/_signet\/request\//);
    await expect(page.locator('.verdict').textContent()).resolves.toMatch(/403 SignatureDoesNotMatch .* failed at signature/);
    const failed = page.locator('ol.steps > li.fail');
    await expect(failed.count()).resolves.toBe(1);
    await expect(failed.getAttribute('data-step')).resolves.toBe('signature');
    await expect(failed.textContent()).resolves.toContain('[redacted]');
    await shot('request');
  });

  it('browsing the bucket lists folders and objects, with download links', async () => {
    await page.goto(`${s.url}/_signet/browse?bucket=${BUCKET}`);
    await expect(page.locator('table').textContent()).resolves.toMatch(/uploads\/.*cat\.png/s);
    await page.locator('a', { hasText: 'uploads/' }).click();
    await page.locator('a', { hasText: '2026/' }).click();
    await expect(page.locator('table').textContent()).resolves.toContain('report.pdf');
    const href = await page.locator('a', { hasText: 'download' }).getAttribute('href');
    const download = await fetch(`${s.url}${href}`);
    await expect(download.text()).resolves.toBe('a report');
    await shot('browse');
  });

  it('a pasted URL in the explain form gives the verdict and marks the differing line', async () => {
    await page.goto(`${s.url}/_signet/explain`);
    // Signed for 127.0.0.1, sent to localhost: as when a proxy or a docker hostname rewrites the Host.
    const url = presign('cat.png').replace('127.0.0.1', 'localhost');
    await page.locator('#explain-url').fill(url);
    await page.locator('#explain-method').selectOption('GET');
    await submitExplain();
    await expect(page.locator('#explain-verdict').textContent()).resolves.toMatch(/^Refused: 403 SignatureDoesNotMatch/);
    await expect(page.locator('[data-hint="host-rewritten"]').count()).resolves.toBe(1);
    await expect(page.locator('ol.lines li.differs').textContent()).resolves.toBe(`host:localhost:${s.port}`);
    await shot('explain');

    await page.locator('#explain-url').fill(presign('cat.png'));
    await submitExplain();
    await expect(page.locator('#explain-verdict').textContent()).resolves.toMatch(/^Accepted .* GetObject/);
  });
});
