import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/server.ts';
import { presignUrl } from '../../src/sigv4/sign.ts';
import { send } from './requests.ts';
const dataDir = mkdtempSync(join(tmpdir(), 'put-'));
const cfg = { host: '127.0.0.1', port: 0, dataDir, region: 'us-east-1', rootAccessKeyId: 'benchroot', rootSecretAccessKey: 'benchroot-secret-0123456789', clockControl: false };
const s = await startServer(cfg as any);
const creds = { accessKeyId: 'benchroot', secretAccessKey: cfg.rootSecretAccessKey, region: 'us-east-1' };
const p = (m: string, path: string) => { const u = new URL(presignUrl({ ...creds, method: m, url: s.url + path, now: new Date(), expiresIn: 3600 })); return u.pathname + u.search; };
console.log((await send(s.url, { method: 'PUT', path: p('PUT', '/bench') })).status);
const body = Buffer.alloc(1024, 1);
const paths = Array.from({ length: 64 }, (_, i) => p('PUT', `/bench/k${i}`));
async function run(n: number, conc: number) {
  let i = 0; const c0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => { while (i < n) { const path = paths[i++ % 64]!; const a = await send(s.url, { method: 'PUT', path, headers: { 'Content-Length': '1024' }, body }); if (a.status !== 200) throw new Error(String(a.status)); } }));
  const c = process.cpuUsage(c0); const t = performance.now() - t0;
  console.log(`n=${n} conc=${conc}: ${(n / t * 1000).toFixed(0)} req/s, user ${(c.user / 1000 / n).toFixed(3)} ms/req, sys ${(c.system / 1000 / n).toFixed(3)} ms/req`);
}
await run(300, 16); await run(1000, 1); await run(1000, 16);
await s.close();
