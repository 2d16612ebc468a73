import { verifyRequest } from '../../src/auth/verify-request.ts';
import { presignUrl } from '../../src/sigv4/sign.ts';
import { S3Error } from '../../src/http/s3-errors.ts';
import { renderErrorXml } from '../../src/http/error-xml.ts';
import type { Token } from '../../src/access/types.ts';
const token = { accessKeyId: 'benchroot', secretAccessKey: 'benchroot-secret-0123456789', name: 'root', access: 'read-write', buckets: [], prefix: null, expiresAt: null, revokedAt: null, createdAt: '2020', root: true } as unknown as Token;
const now = new Date();
const url = presignUrl({ accessKeyId: 'benchroot', secretAccessKey: token.secretAccessKey, region: 'us-east-1', method: 'GET', url: 'http://127.0.0.1:9000/bench/w1/obj-0001?x-id=GetObject', now, expiresIn: 3600 });
const u = new URL(url);
const good = { method: 'GET', rawPath: u.pathname, rawQuery: u.search.slice(1), headers: { host: ['127.0.0.1:9000'], connection: ['keep-alive'] } };
const bad = { ...good, rawQuery: good.rawQuery.replace(/.$/, (c) => (c === '0' ? '1' : '0')) };
const ctx = { now, region: 'us-east-1', lookupToken: () => token };
function time(name: string, n: number, f: () => void) { for (let i = 0; i < 2000; i++) f(); const s = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const c = process.cpuUsage(s); console.log(name, ((c.user + c.system) / n).toFixed(1), 'us'); }
console.log(verifyRequest(good, ctx).ok, verifyRequest(bad, ctx).ok);
time('verify good', 20000, () => verifyRequest(good, ctx));
time('verify bad', 20000, () => verifyRequest(bad, ctx));
time('verify bad + error xml', 20000, () => { const r = verifyRequest(bad, ctx); if (!r.ok) { const e = S3Error.fromAuthFailure(r.failure, r.steps); renderErrorXml(e, '/bench/x', 'ABC', 'DEF'); } });
