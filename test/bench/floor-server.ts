/**
 * The floor: the least a Node HTTP server must spend to store and serve objects. No
 * authentication, no metadata database, no XML library: bytes stream to and from files named
 * by the path, with an MD5 as the ETag. Every benchmark figure is a ratio to this server.
 *
 *   GET  /_health                              200 (cold start)
 *   PUT  /BUCKET/KEY                           body -> MD5 -> DIR/.tmp/N -> fsync -> rename DIR/BUCKET/KEY
 *   GET  /BUCKET/KEY                           DIR/BUCKET/KEY -> body (404 when absent)
 *   GET  /BUCKET/KEY?refuse                    403 without touching the disk (W5's equivalent)
 *   GET  /BUCKET?list-type=2&prefix=P&delimiter=/   readdir(DIR/BUCKET/P) + stat each file -> XML, first 1000
 *   POST /BUCKET (multipart/form-data)         busboy: `key` field, `file` part streamed as a PUT
 *
 * Writes are fsynced before the 200, as any store that acknowledges a write must (signet does
 * the same, plus the directory and its database); `--no-fsync` drops that to show its cost.
 *
 * Usage: node --import tsx floor-server.ts DIR [--port N] [--no-fsync]   (prints "floor listening on PORT")
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Busboy from 'busboy';

const root = process.argv[2];
if (!root) throw new Error('usage: floor-server.ts DIR [--no-fsync]');
const fsync = !process.argv.includes('--no-fsync');
const portAt = process.argv.indexOf('--port');
const port = portAt === -1 ? 0 : Number(process.argv[portAt + 1]);
const tmpDir = join(root, '.tmp');
mkdirSync(tmpDir, { recursive: true });
const knownDirs = new Set<string>();
let tempCounter = 0;

function fileOf(path: string): string | undefined {
  const decoded = decodeURIComponent(path.slice(1));
  if (decoded.split('/').some((part) => part === '..' || part === '.')) return undefined;
  return join(root!, decoded);
}

/** Streams `source` to `file` through an MD5; returns the hex digest. */
async function store(source: Readable, file: string): Promise<string> {
  const md5 = createHash('md5');
  const temp = join(tmpDir, String(tempCounter++));
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      cb(null, chunk);
    },
  });
  await pipeline(source, meter, createWriteStream(temp, { flush: fsync }));
  const dir = dirname(file);
  if (!knownDirs.has(dir)) {
    await mkdir(dir, { recursive: true });
    knownDirs.add(dir);
  }
  await rename(temp, file);
  return md5.digest('hex');
}

async function get(res: ServerResponse, file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    res.writeHead(404).end();
    return;
  }
  const { size } = await handle.stat();
  res.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' });
  await pipeline(handle.createReadStream(), res);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function list(res: ServerResponse, bucket: string, query: URLSearchParams): Promise<void> {
  const prefix = query.get('prefix') ?? '';
  const dir = join(root!, bucket, ...prefix.split('/').filter(Boolean));
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = entries.slice(0, 1000);
  const stats = await Promise.all(page.map((e) => (e.isFile() ? stat(join(dir, e.name)) : undefined)));
  let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix>`;
  xml += `<KeyCount>${page.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>${entries.length > 1000}</IsTruncated>`;
  page.forEach((entry, i) => {
    const key = escapeXml(prefix + entry.name);
    const s = stats[i];
    xml += s
      ? `<Contents><Key>${key}</Key><LastModified>${s.mtime.toISOString()}</LastModified><Size>${s.size}</Size></Contents>`
      : `<CommonPrefixes><Prefix>${key}/</Prefix></CommonPrefixes>`;
  });
  xml += '</ListBucketResult>';
  res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) }).end(xml);
}

function postForm(req: IncomingMessage, res: ServerResponse, bucket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    const form = Busboy({ headers: req.headers });
    form.on('field', (name, value) => fields.set(name.toLowerCase(), value));
    form.on('file', (_name, file) => {
      const key = fields.get('key');
      const target = key === undefined ? undefined : fileOf(`/${bucket}/${key}`);
      if (!target) {
        file.resume();
        res.writeHead(400).end();
        return;
      }
      store(file, target).then(
        (md5) => res.writeHead(204, { ETag: `"${md5}"` }).end(),
        reject,
      );
    });
    form.on('error', reject);
    res.on('finish', () => resolve());
    req.pipe(form);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  if (path === '/_health') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  const parts = path.split('/');
  const bucket = parts[1] ?? '';
  const isObject = parts.length > 2 && parts[2] !== '';
  if (req.method === 'GET' && query.has('refuse')) {
    res.writeHead(403, { 'Content-Type': 'application/xml' }).end('<Error><Code>AccessDenied</Code></Error>');
    return;
  }
  if (req.method === 'GET' && !isObject) return list(res, bucket, query);
  if (req.method === 'POST' && !isObject) return postForm(req, res, bucket);
  const file = fileOf(path);
  if (!file || file.endsWith(sep)) {
    res.writeHead(400).end();
    return;
  }
  if (req.method === 'PUT') {
    const md5 = await store(req, file);
    res.writeHead(200, { ETag: `"${md5}"`, 'Content-Length': 0 }).end();
    return;
  }
  if (req.method === 'GET') return get(res, file);
  res.writeHead(405).end();
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    if (!res.headersSent) res.writeHead(500).end(String(err));
    else res.destroy();
  });
});
server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`floor listening on ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => rm(tmpDir, { recursive: true, force: true }).finally(() => process.exit(0)));
  server.closeAllConnections();
});
