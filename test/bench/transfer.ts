/**
 * W4: one large presigned PUT then GET, streamed (the body comes from a generator, never a
 * buffer of its size), while the server's resident memory is sampled every 20 ms. Memory
 * growth is the peak during the transfer less the resident size just before it.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readRss } from './targets.ts';

const CHUNK = 1024 * 1024;

export interface TransferResult {
  mibPerSec: number;
  seconds: number;
  /** Peak resident size during the transfer less the size before it, in bytes */
  rssGrowth: number;
  rssBefore: number;
}

export interface BigBody {
  size: number;
  md5Hex: string;
  chunks(): Generator<Buffer>;
}

/** `size` bytes: one random MiB repeated. Its MD5 is computed once, up front. */
export function bigBody(size: number): BigBody {
  if (size % CHUNK !== 0) throw new Error('the size must be a whole number of MiB');
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i += 4) block.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
  const md5 = createHash('md5');
  for (let i = 0; i < size / CHUNK; i++) md5.update(block);
  return {
    size,
    md5Hex: md5.digest('hex'),
    *chunks() {
      for (let i = 0; i < size / CHUNK; i++) yield block;
    },
  };
}

function sampleRss(pid: number): { stop(): { before: number; peak: number } } {
  const before = readRss(pid);
  let peak = before;
  const timer = setInterval(() => {
    const rss = readRss(pid);
    if (rss > peak) peak = rss;
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      const rss = readRss(pid);
      if (rss > peak) peak = rss;
      return { before, peak };
    },
  };
}

function result(size: number, started: number, rss: { before: number; peak: number }): TransferResult {
  const seconds = (performance.now() - started) / 1000;
  return { mibPerSec: size / 1024 / 1024 / seconds, seconds, rssGrowth: rss.peak - rss.before, rssBefore: rss.before };
}

export async function bigPut(origin: string, path: string, pid: number, body: BigBody): Promise<TransferResult> {
  const url = new URL(origin);
  const sampler = sampleRss(pid);
  const started = performance.now();
  const answer = new Promise<{ status: number; etag: string | undefined; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path,
        agent: false,
        headers: { 'Content-Length': String(body.size), 'Content-Type': 'application/octet-stream' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag, text }));
      },
    );
    req.on('error', reject);
    pipeline(Readable.from(body.chunks()), req).catch(reject);
  });
  const { status, etag, text } = await answer;
  const rss = sampler.stop();
  if (status !== 200) throw new Error(`big PUT answered ${status}: ${text.slice(0, 300)}`);
  if (etag?.replace(/"/g, '') !== body.md5Hex) throw new Error(`big PUT answered ETag ${etag}, expected "${body.md5Hex}"`);
  return result(body.size, started, rss);
}

export async function bigGet(origin: string, path: string, pid: number, size: number): Promise<TransferResult> {
  const url = new URL(origin);
  const sampler = sampleRss(pid);
  const started = performance.now();
  const received = await new Promise<number>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'GET', path, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`big GET answered ${res.statusCode}`));
        return;
      }
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  const rss = sampler.stop();
  if (received !== size) throw new Error(`big GET received ${received} bytes, expected ${size}`);
  return result(size, started, rss);
}
