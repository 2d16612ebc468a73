import express from 'express';
import { createServer } from 'node:http';
import { connect } from 'node:net';
const mode = process.argv[2];
const body = Buffer.alloc(1024);
let handler: any;
if (mode === 'raw') handler = (req: any, res: any) => { res.setHeader('x-amz-request-id', 'ABC'); res.statusCode = 200; res.setHeader('Content-Length', 1024); res.end(body); };
else {
  const app = express(); app.disable('x-powered-by'); app.set('etag', false); app.set('query parser', false);
  app.use((req, res, next) => { res.locals.x = {}; res.setHeader('x-amz-request-id', 'ABC'); res.on('close', () => {}); next(); });
  const r = express.Router(); r.get('/health', (_q, s) => s.json({}));
  app.use('/_signet', (req, res, next) => r(req, res, next));
  app.use(async (req, res, next) => { res.statusCode = 200; res.setHeader('Content-Length', 1024); res.end(body); });
  app.use((err: any, req: any, res: any, next: any) => res.status(500).end());
  handler = app;
}
const srv = createServer(handler); await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
const port = (srv.address() as any).port;
const reqBuf = Buffer.from(`GET /bench/w1/obj-0001?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
function client(n: number) { return new Promise<void>((resolve) => { const sock = connect(port, '127.0.0.1'); let left = n; let buf = Buffer.alloc(0);
  sock.on('connect', () => sock.write(reqBuf));
  sock.on('data', (d: Buffer) => { buf = buf.length ? Buffer.concat([buf, d]) : d; for (;;) { const he = buf.indexOf('\r\n\r\n'); if (he < 0) return; const m = /content-length: (\d+)/i.exec(buf.subarray(0, he).toString('latin1')); const len = m ? Number(m[1]) : 0; if (buf.length < he + 4 + len) return; buf = buf.subarray(he + 4 + len); if (--left === 0) { sock.end(); resolve(); return; } sock.write(reqBuf); } }); }); }
await Promise.all(Array.from({ length: 16 }, () => client(1000)));
const N = 32000; const c0 = process.cpuUsage();
await Promise.all(Array.from({ length: 16 }, () => client(N / 16)));
const c = process.cpuUsage(c0); console.log(mode, ((c.user + c.system) / N).toFixed(1), 'us/req');
srv.close(); process.exit(0);
