import { mkdtempSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/server.ts';
import { createApp } from '../../src/http/app.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import { systemClock } from '../../src/config.ts';
import { presignUrl } from '../../src/sigv4/sign.ts';
import { send } from './requests.ts';

const mode = process.argv[2] ?? 'full';
const N = Number(process.argv[3] ?? 20000);
const dataDir = mkdtempSync(join(tmpdir(), 'inproc-'));
const cfg = { host: '127.0.0.1', port: 0, dataDir, region: 'us-east-1', rootAccessKeyId: 'benchroot', rootSecretAccessKey: 'benchroot-secret-0123456789', clockControl: false };
let url: string; let close: () => Promise<void>;
if (mode === 'full') { const s = await startServer(cfg as any); url = s.url; close = s.close; }
else if (mode === 'nolog') {
  const storage = await openStorage(dataDir, { sweep: true });
  storage.meta.upsertRootToken(cfg.rootAccessKeyId, cfg.rootSecretAccessKey, new Date());
  const app = createApp({ config: cfg as any, storage, clock: systemClock });
  const srv = createServer(app); await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(srv.address() as any).port}`; close = () => new Promise((r) => srv.close(() => r()));
} else {
  const file = join(dataDir, 'f'); (await open(file, 'w')).writeFile(Buffer.alloc(1024, 1));
  const srv: Server = createServer(async (req, res) => {
    if (mode === 'trivial') { res.writeHead(200, { 'Content-Length': 1024 }).end(Buffer.alloc(1024)); return; }
    const h = await open(file, 'r'); const { size } = await h.stat(); res.writeHead(200, { 'Content-Length': size }); h.createReadStream().pipe(res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(srv.address() as any).port}`; close = () => new Promise((r) => srv.close(() => r()));
}
const creds = { accessKeyId: 'benchroot', secretAccessKey: cfg.rootSecretAccessKey, region: 'us-east-1' };
const p = (m: string, path: string) => { const u = new URL(presignUrl({ ...creds, method: m, url: url + path, now: new Date(), expiresIn: 3600 })); return u.pathname + u.search; };
if (mode === 'full' || mode === 'nolog') {
  await send(url, { method: 'PUT', path: p('PUT', '/bench') });
  await send(url, { method: 'PUT', path: p('PUT', '/bench/k'), headers: { 'Content-Length': '1024' }, body: Buffer.alloc(1024, 1) });
}
const path = process.argv[4] === 'bad' ? p('GET', '/bench/k').replace(/.$/, (c) => (c === '0' ? '1' : '0')) : p('GET', '/bench/k');
const port = Number(new URL(url).port);
const reqBuf = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
async function client(n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1'); let left = n; let buf = Buffer.alloc(0);
    sock.on('connect', () => sock.write(reqBuf));
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        const he = buf.indexOf('\r\n\r\n'); if (he < 0) return;
        const m = /content-length: (\d+)/i.exec(buf.subarray(0, he).toString('latin1')); const len = m ? Number(m[1]) : 0;
        if (buf.length < he + 4 + len) return;
        buf = buf.subarray(he + 4 + len); left--;
        if (left === 0) { sock.end(); resolve(); return; }
        sock.write(reqBuf);
      }
    });
    sock.on('error', reject);
  });
}
await Promise.all(Array.from({ length: 16 }, () => client(500)));
const c0 = process.cpuUsage(); const t0 = performance.now();
await Promise.all(Array.from({ length: 16 }, () => client(N / 16)));
const c = process.cpuUsage(c0); const t = performance.now() - t0;
console.log(`${mode} ${process.argv[4] ?? ''}: ${(N / t * 1000).toFixed(0)} req/s, cpu ${((c.user + c.system) / 1000 / N * 1000).toFixed(1)} us/req (user ${(c.user / N).toFixed(1)} sys ${(c.system / N).toFixed(1)})`);
await close();
process.exit(0);
