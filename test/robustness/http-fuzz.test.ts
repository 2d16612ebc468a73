/**
 * HTTP fuzz: 1,000 malformed requests over raw sockets to a real `signet serve`: bad methods,
 * garbage paths, 64 KiB headers, truncated bodies, wrong Content-Length, slow bodies, invalid
 * aws-chunked bodies behind valid signatures, bogus Authorization headers, hostile XML and
 * path-traversal keys behind valid signatures, and random bytes.
 *
 * The server may refuse in any way a client can read (4xx, Node's own 400/408/413/414/431, or a
 * closed connection) but never with a 5xx, never by crashing, never by writing outside its
 * data directory; it still answers its health check afterwards.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSigningKey } from '../../src/sigv4/signing-key.ts';
import { makeTempDir, REGION, ROOT_SECRET, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';
import { encodeSigned, encodeUnsigned } from '../unit/chunked/encoder.ts';
import { finalAnswer, listAll, listTree, presign, rawExchange, requestHead, send, signedHeaders, type RawAnswer } from './client.ts';
import { SEED, byteMutation, hostilePiece, mutateBytes, mutateText, mutation } from './mutate.ts';

const BUCKET = 'fuzz';
const TOTAL = 1000;
const CONCURRENCY = 16;

const parent = makeTempDir('signet-fuzz-');
const dataDir = join(parent, 'data');
let server: SpawnedServer;
let before: string[];

/** Everything in the temp parent except the data directory's own contents. */
const outsideDataDir = () => listTree(parent, (rel) => rel === 'data' || rel.startsWith('data/'));

beforeAll(async () => {
  before = outsideDataDir();
  server = await startSignet({ dataDir });
  expect((await send(presign(server.url, 'PUT', `/${BUCKET}`), 'PUT')).status).toBe(200);
  expect((await send(presign(server.url, 'PUT', `/${BUCKET}/existing`), 'PUT', { body: Buffer.from('exists') })).status).toBe(200);
});

afterAll(async () => {
  await server?.stop();
  const { rmSync } = await import('node:fs');
  rmSync(parent, { recursive: true, force: true });
});

/** One malformed exchange: what to write, and how long to wait for an answer. */
interface Case {
  category: string;
  script: (Buffer | number)[];
  endAfter?: boolean;
  waitMs?: number;
}

const b = (text: string) => Buffer.from(text, 'latin1');
const host = () => `127.0.0.1:${server.port}`;

// ---- generators, one per kind of malformation

const badMethod = fc.oneof(
  fc.constantFrom('FOO', 'get', 'G ET', 'PURGE', 'MKCOL', 'PROPFIND', 'TRACE', 'CONNECT', 'PATCH', 'OPTIONS', 'LINK', '', 'GET\0', 'A'.repeat(5000)),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }),
);
const pathPiece = fc.oneof(
  fc.constantFrom('%zz', '%', '%0', '%00', '%C3%28', '%ff', '..', '../..', '..%2f..%2f', '%2e%2e/%2e%2e', '\0', ' ', '\t', '#frag', '?', '??', '//', '\\..\\', '~', '_signet', '.localhost'),
  hostilePiece,
);
const garbagePath = fc.oneof(
  fc.array(pathPiece, { minLength: 1, maxLength: 5 }).map((parts) => `/${BUCKET}/${parts.join('')}`),
  fc.array(pathPiece, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
  fc.tuple(pathPiece, pathPiece).map(([a, q]) => `/${BUCKET}?${a}=${q}`),
  fc.constantFrom('*', 'http://evil.example/x', '//evil/x', '/_signet/../../etc/passwd', '/_signet/%zz', `/${BUCKET}/${'x'.repeat(20_000)}`, '/%zz?%zz', `/${BUCKET}?%zz`),
);

function caseFor(kind: number, pick: Picks): Case {
  switch (kind) {
    case 0:
      return { category: 'bad method', script: [b(`${pick.method} /${BUCKET}/existing HTTP/1.1\r\nHost: ${host()}\r\n\r\n`)] };
    case 1:
      return {
        category: 'garbage path',
        script: [b(`${pick.method.length % 2 ? 'GET' : 'POST'} ${pick.path} HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 0\r\n\r\n`)],
      };
    case 2: {
      // 64 KiB in one header, or thousands of small ones: Node answers 431.
      const big = pick.n % 2 ? [['X-Big', 'a'.repeat(64 * 1024)]] : Array.from({ length: 3000 }, (_, i) => [`X-H${i}`, 'v']);
      return { category: 'huge headers', script: [requestHead('GET', `/${BUCKET}/existing`, [['Host', host()], ...(big as [string, string][])])] };
    }
    case 3: {
      // A valid presigned PUT whose body stops short, then the client half-closes.
      const url = presign(server.url, 'PUT', `/${BUCKET}/truncated-${pick.n % 7}`);
      const head = requestHead('PUT', url.slice(server.url.length), { host: host(), 'content-length': String(1000 + pick.n) });
      return { category: 'truncated body', script: [head, Buffer.alloc(pick.n % 500, 't')], endAfter: true, waitMs: 1500 };
    }
    case 4: {
      const lengths = ['-1', 'abc', '1e3', '0x10', ' 5', '5, 6', '99999999999999999999', '18446744073709551616'];
      const url = presign(server.url, 'PUT', `/${BUCKET}/wrong-length-${pick.n % 5}`);
      const target = url.slice(server.url.length);
      const variants: [string, string][][] = [
        [['Content-Length', lengths[pick.n % lengths.length]!]],
        [['Content-Length', '5'], ['Content-Length', '6']],
        [['Content-Length', '3'], ['Transfer-Encoding', 'chunked']],
        [['Transfer-Encoding', 'chunked, gzip']],
        [['Transfer-Encoding', 'chunked']],
        [['Content-Length', '2']],
      ];
      const headers = variants[pick.n % variants.length]!;
      const body = headers.some(([n]) => n === 'Transfer-Encoding') ? b(pick.n % 3 ? 'zz\r\nabc\r\n0\r\n\r\n' : '5\r\nab\r\n0\r\n\r\n') : b('hello world, more than said');
      return { category: 'wrong length', script: [requestHead('PUT', target, [['Host', host()], ...headers]), body], endAfter: pick.n % 2 === 0, waitMs: 1500 };
    }
    case 5: {
      // A slow body, bounded: 5 pieces 60 ms apart.
      const url = presign(server.url, 'PUT', `/${BUCKET}/slow-${pick.n % 3}`);
      const script: (Buffer | number)[] = [requestHead('PUT', url.slice(server.url.length), { host: host(), 'content-length': '10' })];
      for (let i = 0; i < 5; i++) script.push(60, b('ab'));
      return { category: 'slow body', script, waitMs: 2000 };
    }
    case 6:
      return chunkedCase(pick);
    case 7: {
      const auth = pick.auth;
      return {
        category: 'bogus authorization',
        script: [requestHead('GET', `/${BUCKET}/existing${pick.n % 3 === 0 ? `?${pick.query}` : ''}`, [['Host', host()], ['Authorization', auth], ['X-Amz-Date', pick.text]])],
      };
    }
    case 8: {
      // Hostile XML behind a valid signature.
      const targets = [`/${BUCKET}?delete`, `/${BUCKET}?cors`, `/${BUCKET}/mp?uploadId=nonexistent`, `/${BUCKET}`];
      const path = targets[pick.n % targets.length]!;
      const method = path.endsWith('?cors') || path === `/${BUCKET}` ? 'PUT' : 'POST';
      const body = b(pick.xml);
      const md5 = createHash('md5').update(body).digest('base64');
      const headers = signedHeaders(server.url, method, path, { body, headers: { 'content-md5': md5 } });
      return { category: 'hostile xml', script: [requestHead(method, path, { ...headers, 'content-length': String(body.length) }), body] };
    }
    case 9: {
      // Path traversal in keys, properly signed: stored as keys, never as files.
      const key = ['..%2F..%2F..%2Fescape', '../../escape', '%2e%2e/%2e%2e/escape', '..\\..\\escape', 'a/../../../escape'][pick.n % 5]!;
      const url = presign(server.url, 'PUT', `/${BUCKET}/${key}`);
      const head = requestHead('PUT', url.slice(server.url.length), { host: host(), 'content-length': '7' });
      return { category: 'traversal key', script: [head, b('escaped')] };
    }
    default:
      return { category: 'random bytes', script: [Buffer.from(pick.bytes)], endAfter: pick.n % 2 === 0, waitMs: 1500 };
  }
}

/** An aws-chunked upload whose headers are validly signed and whose body is not valid. */
function chunkedCase(pick: Picks): Case {
  const path = `/${BUCKET}/chunked-${pick.n % 5}`;
  const signed = pick.n % 3 !== 0;
  const data = [Buffer.alloc(100 + (pick.n % 200), 'c'), Buffer.alloc(50, 'd')];
  const decoded = data.reduce((n, d) => n + d.length, 0);
  const headers = signedHeaders(server.url, 'PUT', path, {
    payloadHash: signed ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' : 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(decoded),
      ...(signed ? {} : { 'x-amz-trailer': 'x-amz-checksum-crc32' }),
    },
  });
  let body: Buffer;
  if (signed) {
    const amzDate = headers['x-amz-date']!;
    const seedSignature = /Signature=([0-9a-f]{64})/.exec(headers.authorization!)![1]!;
    body = encodeSigned(data, {
      signingKey: deriveSigningKey(ROOT_SECRET, amzDate.slice(0, 8), REGION, 's3'),
      amzDate,
      scope: `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`,
      seedSignature,
    }).body;
  } else {
    body = encodeUnsigned(data, ['x-amz-checksum-crc32', 'AAAAAA==']);
  }
  for (const m of pick.byteEdits) body = mutateBytes(body, m);
  return {
    category: 'invalid aws-chunked',
    script: [requestHead('PUT', path, { ...headers, 'content-length': String(body.length) }), body],
    waitMs: 2000,
  };
}

/** Text as it may go on a request line: bytes that would break the line are escaped, '%' is kept raw. */
function wireText(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((c) => (c > 0x20 && c < 0x7f && c !== 0x23 ? String.fromCharCode(c) : `%${c.toString(16).padStart(2, '0')}`)).join('');
}

interface Picks {
  n: number;
  method: string;
  path: string;
  auth: string;
  query: string;
  text: string;
  xml: string;
  bytes: Uint8Array;
  byteEdits: Parameters<typeof mutateBytes>[1][];
}

const VALID_XML = [
  '<Delete><Object><Key>existing</Key></Object></Delete>',
  '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>',
  '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>',
  '<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>',
];

const picks: fc.Arbitrary<Picks> = fc.record({
  n: fc.nat({ max: 1_000_000 }),
  method: badMethod,
  path: garbagePath,
  auth: fc.oneof(
    hostilePiece,
    fc.tuple(hostilePiece, hostilePiece, hostilePiece).map(([c, s, g]) => `AWS4-HMAC-SHA256 Credential=${c}, SignedHeaders=${s}, Signature=${g}`),
    fc.tuple(fc.constantFrom('AWS ', 'AWS4-HMAC-SHA256 ', 'Basic ', 'Bearer '), fc.string({ unit: 'binary-ascii', maxLength: 200 })).map(([p, r]) => p + r),
    fc.constant(`AWS4-HMAC-SHA256 Credential=${'A'.repeat(8000)}/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`),
  ),
  query: fc.oneof(
    fc.constant('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%zz'),
    fc.array(fc.tuple(fc.constantFrom('X-Amz-Expires', 'X-Amz-Date', 'Signature', 'AWSAccessKeyId', 'Expires', 'X-Amz-Credential'), hostilePiece), { maxLength: 5 }).map((pairs) =>
      pairs.map(([k, v]) => `${k}=${wireText(v)}`).join('&'),
    ),
  ),
  text: hostilePiece.map((t) => t.replace(/[\r\n\0]/g, '')),
  xml: fc.tuple(fc.constantFrom(...VALID_XML), fc.array(mutation, { minLength: 0, maxLength: 3 })).map(([xml, edits]) => edits.reduce((t, m) => mutateText(t, m), xml)),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }),
  byteEdits: fc.array(byteMutation, { minLength: 1, maxLength: 2 }),
});

/** Requests that once answered 500; always sent, first. */
const REGRESSIONS = [
  // isBrowserPost decoded the query names with decodeURIComponent, which throws on '%zz'.
  `POST /${BUCKET}?%zz HTTP/1.1\r\nHost: HOST\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 0\r\n\r\n`,
  `POST /${BUCKET}?%zz=1&delete HTTP/1.1\r\nHost: HOST\r\nContent-Length: 0\r\n\r\n`,
];

/** How many cases of each kind, in the order of caseFor's switch (with REGRESSIONS, TOTAL). */
const MIX = [100, 148, 40, 80, 100, 20, 150, 150, 100, 30, 80];

async function runPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

describe('HTTP fuzz: 1,000 malformed requests over raw sockets', () => {
  it('no 5xx, no crash, no file outside the data directory, and health still 200', async () => {
    expect(REGRESSIONS.length + MIX.reduce((a, n) => a + n, 0)).toBe(TOTAL);
    const samples = fc.sample(picks, { seed: SEED, numRuns: TOTAL });
    const cases: Case[] = REGRESSIONS.map((line) => ({ category: 'regression', script: [b(line.replace('HOST', host()))] }));
    let at = REGRESSIONS.length;
    MIX.forEach((count, kind) => {
      for (let i = 0; i < count; i++) cases.push(caseFor(kind, samples[at++]!));
    });

    const answers = await runPool(cases, CONCURRENCY, (c) =>
      rawExchange(server.port, { script: c.script, endAfter: c.endAfter, waitMs: c.waitMs ?? 1000, stopWhen: finalAnswer }),
    );

    const serverErrors = cases
      .map((c, i) => ({ c, a: answers[i]! }))
      .filter(({ a }) => a.statuses.some((s) => s >= 500))
      .map(({ c, a }) => `${c.category}: ${a.bytes.toString('latin1').slice(0, 300)} <- ${c.script.filter(Buffer.isBuffer).map((x) => x.toString('latin1').slice(0, 200)).join('|')}`);
    expect(serverErrors).toEqual([]);

    // The run exercised the server: most cases got an answer, every category got some.
    const answered = (a: RawAnswer) => a.statuses.some((s) => s >= 400 && s < 500);
    expect(answers.filter(answered).length).toBeGreaterThan(TOTAL * 0.6);
    const byCategory = new Map<string, number>();
    cases.forEach((c, i) => byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + (answered(answers[i]!) ? 1 : 0)));
    const valid = new Set(['slow body', 'traversal key']);
    for (const [category, count] of byCategory) {
      if (!valid.has(category)) expect(count, `no 4xx at all for ${category}`).toBeGreaterThan(0);
    }
    // The valid-but-awkward requests succeed: slow bodies and traversal keys are stored.
    cases.forEach((c, i) => {
      if (valid.has(c.category)) expect(answers[i]!.statuses, c.category).toEqual([200]);
    });

    expect(server.proc.exitCode).toBeNull();
    const health = await send(`${server.url}/_signet/health`, 'GET');
    expect(health.status).toBe(200);
    expect(server.output()).not.toMatch(/internal error/i);

    // Traversal keys are keys: listed as such, and no file appeared outside the data directory.
    const keys = (await listAll(server.url, BUCKET)).map((o) => o.key);
    expect(keys).toContain('../../../escape');
    expect(outsideDataDir()).toEqual(before);
    expect(existsSync(join(parent, 'escape'))).toBe(false);
    // Inside it, object bytes live only as blob files named by id.
    const blobTree = listTree(join(dataDir, 'blobs'));
    expect(blobTree.filter((p) => !/^[0-9a-f]{2}\/([0-9a-f]{32})?$/.test(p))).toEqual([]);
    expect(listTree(dataDir).filter((p) => /escape/.test(p))).toEqual([]);
  });
});
