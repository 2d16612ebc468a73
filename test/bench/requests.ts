/**
 * Building the requests each server is sent, as users' clients build them: presigned URLs and
 * header signatures come from the AWS SDK for JavaScript v3 itself (its presigner, its S3Client
 * with its default checksums), POST forms from @aws-sdk/s3-presigned-post. The floor gets the
 * same method, path and body, unsigned.
 *
 * Signing happens before the clock starts: the SDK spends 1-2 ms per signature, which would
 * otherwise cap the load generator far below any server here.
 */
import { request, Agent } from 'node:http';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import { presignUrl } from '../../src/sigv4/sign.ts';
import type { RequestSpec } from './load.ts';
import { REGION, type Target } from './targets.ts';

const PRESIGN_EXPIRES_SECONDS = 3600;

function clientFor(target: Target, options: { capture?: HttpRequest[]; checksums?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED' } = {}): S3Client {
  if (!target.credentials) throw new Error(`${target.name} takes no signed requests`);
  const capture = options.capture;
  return new S3Client({
    endpoint: target.origin,
    region: REGION,
    forcePathStyle: true,
    credentials: target.credentials,
    requestChecksumCalculation: options.checksums ?? 'WHEN_SUPPORTED',
    ...(capture
      ? {
          // Keeps the fully signed request instead of sending it.
          requestHandler: {
            handle: async (req: HttpRequest) => {
              capture.push(req);
              return { response: new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([]) }) };
            },
          },
        }
      : {}),
  });
}

/** Path and query of a URL on the target. */
function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

export async function createBucket(target: Target, bucket: string): Promise<void> {
  if (target.name === 'floor') return;
  const client = clientFor(target);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/**
 * Presigned URL paths made by the SDK's presigner. Checksums WHEN_REQUIRED: by default the
 * SDK presigns a PUT with the CRC32 of an empty body, which no upload of bytes can match.
 */
export async function presignedPaths(
  target: Target,
  method: 'GET' | 'PUT',
  bucket: string,
  keys: readonly string[],
): Promise<string[]> {
  if (target.name === 'floor') return keys.map((key) => `/${bucket}/${key}`);
  const client = clientFor(target, { checksums: 'WHEN_REQUIRED' });
  const out: string[] = [];
  for (const key of keys) {
    const command = method === 'GET' ? new GetObjectCommand({ Bucket: bucket, Key: key }) : new PutObjectCommand({ Bucket: bucket, Key: key });
    out.push(pathOf(await getSignedUrl(client, command, { expiresIn: PRESIGN_EXPIRES_SECONDS })));
  }
  client.destroy();
  return out;
}

export async function presignedListPath(target: Target, bucket: string, prefix: string, delimiter: string): Promise<string> {
  if (target.name === 'floor') return `/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}&delimiter=${encodeURIComponent(delimiter)}`;
  const client = clientFor(target, { checksums: 'WHEN_REQUIRED' });
  const url = await getSignedUrl(client, new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter }), {
    expiresIn: PRESIGN_EXPIRES_SECONDS,
  });
  client.destroy();
  return pathOf(url);
}

/** Seeding only (thousands of keys): signet's own presigner, which is much faster than the SDK's. */
export function quickPresignedPath(target: Target, method: 'GET' | 'PUT', bucket: string, key: string): string {
  if (!target.credentials) return `/${bucket}/${key}`;
  const url = presignUrl({
    ...target.credentials,
    region: REGION,
    method,
    url: `${target.origin}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
    now: new Date(),
    expiresIn: PRESIGN_EXPIRES_SECONDS,
  });
  return pathOf(url);
}

/** The SDK's own header-signed PutObject (default checksums: CRC32 header, signed body hash). */
export async function sdkSignedPuts(target: Target, bucket: string, keys: readonly string[], body: Buffer): Promise<RequestSpec[]> {
  if (target.name === 'floor') return keys.map((key) => ({ method: 'PUT', path: `/${bucket}/${key}`, headers: { 'Content-Length': String(body.length) }, body }));
  const captured: HttpRequest[] = [];
  const client = clientFor(target, { capture: captured });
  for (const key of keys) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  client.destroy();
  return captured.map((req) => toSpec(req, body));
}

/** The SDK's own header-signed GetObject (it asks for checksums: x-amz-checksum-mode ENABLED). */
export async function sdkSignedGets(target: Target, bucket: string, keys: readonly string[]): Promise<RequestSpec[]> {
  if (target.name === 'floor') return keys.map((key) => ({ method: 'GET', path: `/${bucket}/${key}` }));
  const captured: HttpRequest[] = [];
  const client = clientFor(target, { capture: captured });
  for (const key of keys) {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await answer.Body?.transformToByteArray();
  }
  client.destroy();
  return captured.map((req) => toSpec(req, undefined));
}

function toSpec(req: HttpRequest, body: Buffer | undefined): RequestSpec {
  const query = Object.entries(req.query ?? {})
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(v ?? '')}`))
    .join('&');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    // autocannon writes Content-Length itself, with the same value.
    headers[name.toLowerCase() === 'content-length' ? 'Content-Length' : name] = value;
  }
  return { method: req.method as RequestSpec['method'], path: req.path + (query ? `?${query}` : ''), headers, body };
}

/**
 * A browser-upload form (POST Object) for each key, signed by @aws-sdk/s3-presigned-post,
 * encoded as multipart/form-data with the file last. The floor gets the same bytes.
 */
export async function postForms(target: Target, bucket: string, keys: readonly string[], file: Buffer): Promise<RequestSpec[]> {
  const client = target.credentials ? clientFor(target) : undefined;
  const specs: RequestSpec[] = [];
  for (const key of keys) {
    const fields = client
      ? (await createPresignedPost(client, { Bucket: bucket, Key: key, Conditions: [['content-length-range', 0, 1024 * 1024]], Expires: PRESIGN_EXPIRES_SECONDS })).fields
      : { key };
    const boundary = `----signetbench${Math.random().toString(16).slice(2)}`;
    const head = Object.entries(fields)
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('');
    const body = Buffer.concat([
      Buffer.from(`${head}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    specs.push({
      method: 'POST',
      path: `/${bucket}`,
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(body.length) },
      body,
    });
  }
  client?.destroy();
  return specs;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const seedAgent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One request on the seeding agent's keep-alive connections. A connection the server closed
 * while it sat idle (its keep-alive timeout) resets on reuse: the request is sent once more.
 */
export async function send(origin: string, spec: RequestSpec): Promise<Answer> {
  try {
    return await sendOnce(origin, spec);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    return sendOnce(origin, spec);
  }
}

function sendOnce(origin: string, spec: RequestSpec): Promise<Answer> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers: spec.headers, agent: seedAgent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(spec.body);
  });
}

/** Sends every request, `concurrency` at a time; throws on the first unexpected status. */
export async function sendAll(origin: string, specs: readonly RequestSpec[], expect: (status: number) => boolean, concurrency = 32): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < specs.length) {
      const spec = specs[next++]!;
      const answer = await send(origin, spec);
      if (!expect(answer.status)) {
        throw new Error(`${spec.method} ${spec.path.split('?')[0]} on ${origin} answered ${answer.status}: ${answer.body.toString('utf8').slice(0, 300)}`);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export function closeSeedConnections(): void {
  seedAgent.destroy();
}
