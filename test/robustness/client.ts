/**
 * A small S3 client for the robustness tests, over node:http and node:net only, so the tests
 * control every byte and every pause: presigned and header-signed requests (signed with the
 * project's own signer, which the SigV4 suite pins to AWS's vectors), bodies written in paced
 * pieces, raw sockets for malformed requests, and the data directory's own view (blob files,
 * the database opened read-only).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createPresignedPost } from '../../src/policy/presigned-post.ts';
import { presignUrl, signRequest } from '../../src/sigv4/sign.ts';
import { BIN, PROJECT_ROOT, REGION, ROOT_KEY, ROOT_SECRET } from '../helpers/spawn-server.ts';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export const ROOT: Credentials = { accessKeyId: ROOT_KEY, secretAccessKey: ROOT_SECRET };

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** The ETag S3 gives a multipart object: MD5 of the parts' binary MD5s, '-', the count. */
export function multipartEtag(parts: Buffer[]): string {
  const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
  return `"${md5Hex(md5s)}-${parts.length}"`;
}

/** A presigned URL for `path` (already encoded as it goes on the wire, with its own query). */
export function presign(base: string, method: string, path: string, opts: { creds?: Credentials; expiresIn?: number; now?: Date } = {}): string {
  const creds = opts.creds ?? ROOT;
  return presignUrl({ ...creds, region: REGION, method, url: `${base}${path}`, now: opts.now ?? new Date(), expiresIn: opts.expiresIn ?? 900 });
}

/** Authorization and friends for a header-signed request; the body is UNSIGNED-PAYLOAD unless given. */
export function signedHeaders(
  base: string,
  method: string,
  path: string,
  opts: { creds?: Credentials; headers?: Record<string, string>; payloadHash?: string; body?: Buffer } = {},
): Record<string, string> {
  const creds = opts.creds ?? ROOT;
  const payloadHash = opts.payloadHash ?? (opts.body ? createHash('sha256').update(opts.body).digest('hex') : 'UNSIGNED-PAYLOAD');
  return signRequest({ ...creds, region: REGION, method, url: `${base}${path}`, headers: opts.headers, payloadHash, now: new Date() }).headers;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The request went out on a kept-alive connection that had served an earlier request. */
  reusedSocket: boolean;
}

export interface SendOptions {
  headers?: Record<string, string>;
  /** The body, written in `pieceSize` pieces with `pauseMs` between them. */
  body?: Buffer;
  pieceSize?: number;
  pauseMs?: number;
  /** Called after each piece is written, with the bytes written so far (a test can wait on it). */
  onProgress?: (written: number) => void;
  /** Resolves when the writer should go on after half the body (a held-open upload). */
  holdAtHalf?: Promise<void>;
  agent?: Agent | false;
}

/** One HTTP request; rejects when the connection fails (as it does when the server is killed). */
export function send(url: string, method: string, opts: SendOptions = {}): Promise<Answer> {
  const body = opts.body;
  const headers: Record<string, string> = { ...opts.headers };
  if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(url, { method, headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!body) {
      req.end();
      return;
    }
    void writePaced(req, body, opts).catch((err: unknown) => req.destroy(err as Error));
  });
}

async function writePaced(req: NodeJS.WritableStream & { destroyed: boolean }, body: Buffer, opts: SendOptions): Promise<void> {
  const size = opts.pieceSize ?? body.length;
  let written = 0;
  let held = false;
  while (written < body.length) {
    if (req.destroyed) return;
    if (opts.holdAtHalf && !held && written >= body.length / 2) {
      held = true;
      await opts.holdAtHalf;
      if (req.destroyed) return;
    }
    const piece = body.subarray(written, written + size);
    if (!req.write(piece)) await new Promise((resolve) => req.once('drain', resolve));
    written += piece.length;
    opts.onProgress?.(written);
    if (opts.pauseMs && written < body.length) await delay(opts.pauseMs);
  }
  req.end();
}

/** A browser POST upload body (multipart/form-data), the fields before the file. */
export function postForm(fields: Record<string, string>, file: Buffer, boundary = `----signet${Math.random().toString(16).slice(2)}`) {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`));
  parts.push(file, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export function presignedPostFields(bucket: string, key: string, creds: Credentials = ROOT): Record<string, string> {
  return createPresignedPost({ bucket, key, ...creds, region: REGION, now: new Date(), expiresIn: 900 }).fields;
}

/** Runs `signet ARGS --data-dir DIR` without blocking this process (requests keep flowing meanwhile). */
export function cliAsync(dataDir: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { cwd: PROJECT_ROOT, env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// ---- XML answers

export function xmlValues(xml: string, element: string): string[] {
  return [...xml.matchAll(new RegExp(`<${element}>([\\s\\S]*?)</${element}>`, 'g'))].map((m) => unescapeXml(m[1]!));
}

function unescapeXml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

/** Every object in a bucket (ListObjectsV2, following continuation tokens). */
export async function listAll(base: string, bucket: string): Promise<{ key: string; etag: string; size: number }[]> {
  const out: { key: string; etag: string; size: number }[] = [];
  let token: string | undefined;
  for (;;) {
    const query = `list-type=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ''}`;
    const answer = await send(presign(base, 'GET', `/${bucket}?${query}`), 'GET');
    if (answer.status !== 200) throw new Error(`ListObjectsV2 answered ${answer.status}: ${answer.body}`);
    const xml = answer.body.toString('utf8');
    for (const contents of xmlValues(xml, 'Contents')) {
      out.push({ key: xmlValues(contents, 'Key')[0]!, etag: xmlValues(contents, 'ETag')[0]!, size: Number(xmlValues(contents, 'Size')[0]) });
    }
    if (xmlValues(xml, 'IsTruncated')[0] !== 'true') return out;
    token = xmlValues(xml, 'NextContinuationToken')[0];
  }
}

// ---- raw sockets

export interface RawAnswer {
  /** Every status line received, in order (100 Continue, then the final answer). */
  statuses: number[];
  bytes: Buffer;
  /** The server closed the connection (rather than the waiting time running out). */
  closedByServer: boolean;
  /** ms from connecting until the first byte of an answer (undefined: none came). */
  firstByteMs?: number;
  /** ms from connecting until the connection was closed, by either side. */
  elapsedMs: number;
}

export interface RawOptions {
  /** Pieces to write; a number is a pause in ms. */
  script: (Buffer | number)[];
  /** Half-close after the script (the client sends nothing more). */
  endAfter?: boolean;
  /** Give up reading this long after the script is written. */
  waitMs: number;
  /** Stop as soon as the statuses received so far satisfy this (e.g. a final answer is in). */
  stopWhen?: (statuses: number[]) => boolean;
}

export const finalAnswer = (statuses: number[]) => statuses.some((s) => s >= 200);

export async function rawExchange(port: number, opts: RawOptions): Promise<RawAnswer> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  let closedByServer = false;
  let weClosed = false;
  let firstByteMs: number | undefined;
  let closedAt: number | undefined;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('end', () => (closedByServer = true));
  socket.on('close', () => {
    closedByServer ||= !weClosed;
    closedAt ??= Date.now();
  });
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  const t0 = Date.now();
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    firstByteMs ??= Date.now() - t0;
    if (opts.stopWhen?.(parseStatuses(Buffer.concat(chunks)))) stop();
  });
  for (const step of opts.script) {
    if (socket.destroyed) break;
    if (typeof step === 'number') await delay(step);
    else await writeOrClose(socket, step);
  }
  if (opts.endAfter && !socket.destroyed) socket.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, opts.waitMs)))]);
  clearTimeout(timer);
  weClosed = true;
  socket.destroy();
  const bytes = Buffer.concat(chunks);
  return { statuses: parseStatuses(bytes), bytes, closedByServer, firstByteMs, elapsedMs: (closedAt ?? Date.now()) - t0 };
}

function writeOrClose(socket: import('node:net').Socket, data: Buffer): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      socket.off('close', done);
      resolve();
    };
    socket.once('close', done);
    socket.write(data, done);
  });
}

/** Status codes of every `HTTP/1.x NNN` status line at the start of a response. */
export function parseStatuses(bytes: Buffer): number[] {
  const text = bytes.toString('latin1');
  return [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

/** The head of a request, CRLF-terminated, for raw sockets. */
export function requestHead(method: string, target: string, headers: Record<string, string> | [string, string][]): Buffer {
  const lines = (Array.isArray(headers) ? headers : Object.entries(headers)).map(([n, v]) => `${n}: ${v}`);
  return Buffer.from(`${method} ${target} HTTP/1.1\r\n${lines.join('\r\n')}${lines.length ? '\r\n' : ''}\r\n`, 'latin1');
}

// ---- the data directory, as the tests inspect it

/** Every file under dir (relative paths, sorted); directories end with '/'. */
export function listTree(dir: string, skip: (relativePath: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      const rel = relative(dir, path);
      if (skip(rel)) continue;
      if (statSync(path).isDirectory()) {
        out.push(`${rel}/`);
        walk(path);
      } else {
        out.push(rel);
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** Blob ids on disk, from <dataDir>/blobs/<ab>/<id>. */
export function blobFiles(dataDir: string): string[] {
  return listTree(join(dataDir, 'blobs'))
    .filter((p) => !p.endsWith('/'))
    .map((p) => p.split('/').pop()!)
    .sort();
}

export function withDatabase<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'signet.db'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export function referencedBlobs(dataDir: string): string[] {
  return withDatabase(dataDir, (db) =>
    (db.prepare('SELECT blob_id FROM objects UNION SELECT blob_id FROM parts').all() as { blob_id: string }[]).map((r) => r.blob_id).sort(),
  );
}

export function integrityCheck(dataDir: string): string {
  return withDatabase(dataDir, (db) => (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('\n'));
}
