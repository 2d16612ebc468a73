/**
 * Hostile input, property-based: every parser that reads what a client sends (SigV4 and SigV2
 * header and query auth, the POST policy document, aws-chunked framing, the XML request bodies)
 * is fed random and mutated input. Pure parsers must never throw (they return failures);
 * the HTTP-edge parsers may throw only S3Error, the stream decoder may fail only with
 * AwsChunkedError. Anything else would be a 500 or a crash in the server.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Token } from '../../src/access/types.ts';
import type { SignableRequest, VerifyContext, VerifyResult } from '../../src/auth/types.ts';
import { verifyRequest } from '../../src/auth/verify-request.ts';
import { parseCorsXml } from '../../src/http/cors.ts';
import { parseDeleteRequest } from '../../src/http/operations/delete-objects.ts';
import { parseCompleteRequest } from '../../src/http/operations/multipart.ts';
import { S3Error, S3_ERRORS } from '../../src/http/s3-errors.ts';
import { parseXmlBody } from '../../src/http/xml.ts';
import { parsePolicy } from '../../src/policy/parse-policy.ts';
import { parseHttpDate } from '../../src/sigv2/http-date.ts';
import { percentDecode, splitRawQuery } from '../../src/sigv2/query.ts';
import { presignV2Url, signV2Headers } from '../../src/sigv2/sign-request.ts';
import { AwsChunkedError, createAwsChunkedDecoder, type AwsChunkedDecoderOptions } from '../../src/sigv4/chunked.ts';
import { parseAuthorizationHeader, parseCredential, parsePresignedQuery, parseRequestDate } from '../../src/sigv4/parse.ts';
import { parseRawQuery } from '../../src/sigv4/query.ts';
import { presignUrl, signRequest } from '../../src/sigv4/sign.ts';
import { AWS_EXAMPLE, encodeSigned, encodeUnsigned } from '../unit/chunked/encoder.ts';
import { SEED, byteMutation, hostilePiece, mutateBytes, mutateText, mutation, splitAt } from './mutate.ts';

const RUNS = 300;
const params = (numRuns = RUNS) => ({ seed: SEED, numRuns });

const NOW = new Date('2024-05-01T12:00:00.000Z');
const REGION = 'us-east-1';
const TOKEN: Token = {
  accessKeyId: 'AKIDFUZZ',
  secretAccessKey: 'fuzz-secret-0123456789abcdef',
  name: 'fuzz',
  access: 'read-write',
  buckets: [],
  prefix: null,
  expiresAt: null,
  revokedAt: null,
  createdAt: '2024-01-01T00:00:00.000Z',
  root: true,
};
const CTX: VerifyContext = { now: NOW, region: REGION, lookupToken: (id) => (id === TOKEN.accessKeyId ? TOKEN : undefined) };
const CREDS = { accessKeyId: TOKEN.accessKeyId, secretAccessKey: TOKEN.secretAccessKey, region: REGION };

/** A refusal must map to a catalogue entry with a 4xx status: never a 500 at the edge. */
function expectTypedRefusal(result: VerifyResult): void {
  if (result.ok) return;
  expect(Object.hasOwn(S3_ERRORS, result.failure.reason)).toBe(true);
  const err = S3Error.fromAuthFailure(result.failure, result.steps);
  expect(err.status).toBeGreaterThanOrEqual(400);
  expect(err.status).toBeLessThan(500);
  expect(result.steps.length).toBeGreaterThan(0);
}

/** Runs fn; anything thrown must be an S3Error with a 4xx status. */
function expectOnlyS3Errors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof S3Error)) throw new Error(`threw a non-S3 error: ${String(err)}`, { cause: err });
    expect(err.status).toBeLessThan(500);
  }
}

// ---- valid requests of every mechanism, to mutate

function headersOf(record: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, [v]]));
}

function splitTarget(url: string): { rawPath: string; rawQuery: string } {
  const u = /^https?:\/\/[^/]+([^?]*)(?:\?(.*))?$/.exec(url)!;
  return { rawPath: u[1]!, rawQuery: u[2] ?? '' };
}

function sigv4HeaderRequest(): SignableRequest {
  const signed = signRequest({
    ...CREDS,
    method: 'PUT',
    url: 'http://127.0.0.1:9000/bucket/photos/a%20b.jpg?x-id=PutObject',
    headers: { 'content-type': 'image/jpeg', 'x-amz-meta-a': '1' },
    payloadHash: 'UNSIGNED-PAYLOAD',
    now: NOW,
  });
  return { method: 'PUT', ...splitTarget('http://x/bucket/photos/a%20b.jpg?x-id=PutObject'), headers: headersOf(signed.headers) };
}

function sigv4QueryRequest(): SignableRequest {
  const url = presignUrl({ ...CREDS, method: 'GET', url: 'http://127.0.0.1:9000/bucket/key.txt', now: NOW, expiresIn: 900 });
  return { method: 'GET', ...splitTarget(url), headers: { host: ['127.0.0.1:9000'] } };
}

function sigv4StreamingRequest(): SignableRequest {
  const signed = signRequest({
    ...CREDS,
    method: 'PUT',
    url: 'http://127.0.0.1:9000/bucket/k',
    headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '10' },
    payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    now: NOW,
  });
  return { method: 'PUT', rawPath: '/bucket/k', rawQuery: '', headers: headersOf(signed.headers) };
}

function sigv2HeaderRequest(): SignableRequest {
  const req: SignableRequest = {
    method: 'GET',
    rawPath: '/bucket/key',
    rawQuery: 'acl',
    headers: { host: ['127.0.0.1:9000'], date: [NOW.toUTCString()], 'x-amz-meta-b': ['2'] },
  };
  const { authorization } = signV2Headers(req, CREDS);
  return { ...req, headers: { ...req.headers, authorization: [authorization] } };
}

function sigv2QueryRequest(): SignableRequest {
  const req: SignableRequest = { method: 'GET', rawPath: '/bucket/key', rawQuery: '', headers: { host: ['127.0.0.1:9000'] } };
  const { rawQuery } = presignV2Url(req, CREDS, NOW.getTime() / 1000 + 600);
  return { ...req, rawQuery };
}

const VALID: Record<string, () => SignableRequest> = {
  'sigv4 header': sigv4HeaderRequest,
  'sigv4 query': sigv4QueryRequest,
  'sigv4 aws-chunked': sigv4StreamingRequest,
  'sigv2 header': sigv2HeaderRequest,
  'sigv2 query': sigv2QueryRequest,
};

/** Where in a request a mutation lands. */
type Target = { part: 'method' } | { part: 'path' } | { part: 'query' } | { part: 'header'; index: number } | { part: 'name'; index: number };

const target: fc.Arbitrary<Target> = fc.oneof(
  fc.constant({ part: 'method' as const }),
  fc.constant({ part: 'path' as const }),
  { weight: 3, arbitrary: fc.constant({ part: 'query' as const }) },
  { weight: 4, arbitrary: fc.nat().map((index) => ({ part: 'header' as const, index })) },
  fc.nat().map((index) => ({ part: 'name' as const, index })),
);

function mutateRequest(req: SignableRequest, where: Target, m: Parameters<typeof mutateText>[1]): SignableRequest {
  const out: SignableRequest = { ...req, headers: { ...req.headers } };
  if (where.part === 'method') out.method = mutateText(req.method, m);
  else if (where.part === 'path') out.rawPath = mutateText(req.rawPath, m);
  else if (where.part === 'query') out.rawQuery = mutateText(req.rawQuery, m);
  else {
    const names = Object.keys(req.headers);
    const name = names[where.index % names.length]!;
    if (where.part === 'header') {
      out.headers[name] = req.headers[name]!.map((v) => mutateText(v, m));
    } else {
      const renamed = mutateText(name, m).toLowerCase();
      delete out.headers[name];
      out.headers[renamed] = [...(out.headers[renamed] ?? []), ...req.headers[name]!];
    }
  }
  return out;
}

describe('SigV4 and SigV2 verifiers under hostile input', () => {
  for (const [name, make] of Object.entries(VALID)) {
    it(`${name}: the unmutated request verifies (the mutations below start from a valid request)`, () => {
      const result = verifyRequest(make(), CTX);
      expect(result.steps.filter((s) => !s.ok)).toEqual([]);
      expect(result.ok).toBe(true);
    });

    it(`${name}: one or two mutations never throw, and every refusal is a catalogued 4xx`, () => {
      const base = make();
      fc.assert(
        fc.property(fc.array(fc.tuple(target, mutation), { minLength: 1, maxLength: 2 }), (edits) => {
          let req = base;
          for (const [where, m] of edits) req = mutateRequest(req, where, m);
          expectTypedRefusal(verifyRequest(req, CTX));
        }),
        params(),
      );
    });
  }

  it('sigv4 header: any other Signature value is refused', () => {
    const base = sigv4HeaderRequest();
    const auth = base.headers.authorization![0]!;
    const original = /Signature=([0-9a-f]{64})/.exec(auth)![1]!;
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), hostilePiece), (sig) => {
        fc.pre(sig !== original);
        const req = { ...base, headers: { ...base.headers, authorization: [auth.replace(original, sig)] } };
        const result = verifyRequest(req, CTX);
        expect(result.ok).toBe(false);
        expectTypedRefusal(result);
      }),
      params(),
    );
  });

  it('random requests (methods, paths, queries, headers of any bytes) never throw', () => {
    const headerName = fc.oneof(
      fc.constantFrom('authorization', 'x-amz-date', 'date', 'x-amz-content-sha256', 'host', 'x-amz-security-token', 'content-md5'),
      fc.string({ unit: 'binary-ascii', maxLength: 12 }).map((s) => s.toLowerCase()),
    );
    const authValue = fc.oneof(
      hostilePiece,
      fc.tuple(fc.constantFrom('AWS4-HMAC-SHA256 ', 'AWS ', 'Bearer '), fc.string({ unit: 'binary', maxLength: 120 })).map(([a, b]) => a + b),
      fc
        .tuple(hostilePiece, hostilePiece, hostilePiece)
        .map(([c, s, g]) => `AWS4-HMAC-SHA256 Credential=${c}, SignedHeaders=${s}, Signature=${g}`),
      fc.tuple(hostilePiece, hostilePiece).map(([k, s]) => `AWS ${k}:${s}`),
    );
    const query = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc
        .array(
          fc.tuple(
            fc.constantFrom('X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'AWSAccessKeyId', 'Signature', 'Expires', 'acl'),
            hostilePiece,
          ),
          { maxLength: 8 },
        )
        .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    );
    const request = fc.record({
      method: fc.oneof(fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'), hostilePiece),
      rawPath: fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }).map((p) => `/${p}`), hostilePiece),
      rawQuery: query,
      headers: fc.dictionary(headerName, fc.array(fc.oneof(authValue, hostilePiece), { minLength: 1, maxLength: 2 }), { maxKeys: 6 }),
    });
    fc.assert(
      fc.property(request, (req) => expectTypedRefusal(verifyRequest(req, CTX))),
      params(1000),
    );
  });

  it('the SigV4 field parsers return a result for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), hostilePiece, (text, piece) => {
        for (const value of [text, piece, `AWS4-HMAC-SHA256 ${text}`]) {
          const auth = parseAuthorizationHeader(value);
          expect(typeof auth.ok).toBe('boolean');
          for (const mode of ['header', 'query'] as const) {
            const cred = parseCredential(value, { requestShortDate: '20240501', region: REGION, service: 's3' }, mode);
            expect(typeof cred.ok).toBe('boolean');
          }
          expect(typeof parsePresignedQuery(parseRawQuery(value)).ok).toBe('boolean');
          expect(typeof parseRequestDate({ 'x-amz-date': [value] }).ok).toBe('boolean');
          expect(typeof parseRequestDate({ date: [value] }).ok).toBe('boolean');
        }
      }),
      params(),
    );
  });

  it('the SigV2 query and date readers return a result for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), hostilePiece, (text, piece) => {
        for (const value of [text, piece, `${piece}${text}`]) {
          expect(Array.isArray(splitRawQuery(value))).toBe(true);
          expect(typeof percentDecode(value)).toBe('string');
          const date = parseHttpDate(value);
          expect(date === undefined || !Number.isNaN(date.getTime())).toBe(true);
        }
      }),
      params(),
    );
  });
});

// ---- POST policy document

const VALID_POLICY = JSON.stringify({
  expiration: '2024-05-01T13:00:00.000Z',
  conditions: [
    { bucket: 'uploads' },
    ['starts-with', '$key', 'user/'],
    ['content-length-range', 1, 10485760],
    { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
    ['eq', '$Content-Type', 'image/png'],
  ],
});

function expectPolicyResult(base64: string): void {
  const result = parsePolicy(base64);
  if (result.ok) return;
  expect(Object.hasOwn(S3_ERRORS, result.failure.reason)).toBe(true);
  expect(S3_ERRORS[result.failure.reason].status).toBeLessThan(500);
}

describe('POST policy documents under hostile input', () => {
  it('the valid policy parses (the mutations below start from it)', () => {
    expect(parsePolicy(Buffer.from(VALID_POLICY).toString('base64')).ok).toBe(true);
  });

  it('random text as the policy field never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.base64String({ maxLength: 300 }), hostilePiece), expectPolicyResult),
      params(),
    );
  });

  it('any JSON value, and any JSON text, base64-encoded, never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.json({ maxDepth: 4 }), (value, text) => {
        expectPolicyResult(Buffer.from(JSON.stringify(value) ?? 'null').toString('base64'));
        expectPolicyResult(Buffer.from(text).toString('base64'));
        expectPolicyResult(Buffer.from(JSON.stringify({ expiration: value, conditions: [value] })).toString('base64'));
        expectPolicyResult(Buffer.from(JSON.stringify({ expiration: '2024-05-01T13:00:00Z', conditions: value })).toString('base64'));
      }),
      params(),
    );
  });

  it('mutated policies (text and base64) never throw', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (edits, onBase64) => {
        let text = onBase64 ? Buffer.from(VALID_POLICY).toString('base64') : VALID_POLICY;
        for (const m of edits) text = mutateText(text, m);
        expectPolicyResult(onBase64 ? text : Buffer.from(text).toString('base64'));
      }),
      params(),
    );
  });

  it('deeply nested documents are refused, not a stack overflow', () => {
    const deep = `{"expiration":"2024-05-01T13:00:00Z","conditions":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const result = parsePolicy(Buffer.from(deep).toString('base64'));
    expect(result.ok).toBe(false);
  });
});

// ---- aws-chunked framing

const SEED_SIGNATURE = 'f'.repeat(64);
const SIGNED: AwsChunkedDecoderOptions = {
  payload: {
    type: 'streaming-signed',
    trailer: false,
    signing: { signingKey: AWS_EXAMPLE.signingKey, amzDate: AWS_EXAMPLE.amzDate, scope: AWS_EXAMPLE.scope, seedSignature: SEED_SIGNATURE },
  },
};
const SIGNED_TRAILER: AwsChunkedDecoderOptions = {
  payload: { ...(SIGNED.payload as Extract<AwsChunkedDecoderOptions['payload'], { type: 'streaming-signed' }>), trailer: true },
  announcedTrailers: ['x-amz-checksum-crc32'],
};
const UNSIGNED: AwsChunkedDecoderOptions = { payload: { type: 'streaming-unsigned-trailer' }, announcedTrailers: ['x-amz-checksum-crc32'] };

type Decoded = { ok: true; data: Buffer } | { ok: false; error: unknown };

/** Writes the pieces one at a time (as a socket would deliver them) and collects the outcome. */
function decode(opts: AwsChunkedDecoderOptions, pieces: Buffer[]): Promise<Decoded> {
  const decoder = createAwsChunkedDecoder({ ...opts, maxChunkSize: 64 * 1024, maxLineLength: 512 });
  const out: Buffer[] = [];
  return new Promise((resolve) => {
    decoder.on('data', (c: Buffer) => out.push(c));
    decoder.on('end', () => resolve({ ok: true, data: Buffer.concat(out) }));
    decoder.on('error', (error) => resolve({ ok: false, error }));
    for (const piece of pieces) {
      if (decoder.destroyed) return;
      decoder.write(piece);
    }
    if (!decoder.destroyed) decoder.end();
  });
}

function expectChunkedError(outcome: Decoded): void {
  if (!outcome.ok && !(outcome.error instanceof AwsChunkedError)) {
    throw new Error(`the decoder failed with a non-AwsChunkedError: ${String(outcome.error)}`, { cause: outcome.error });
  }
}

const payloadChunks = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 0, maxLength: 4 }).map((a) => a.map((c) => Buffer.from(c)));
const cuts = fc.array(fc.nat(), { maxLength: 6 });

describe('the aws-chunked decoder under hostile input', () => {
  it('random bytes fail only with AwsChunkedError, in every mode', async () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
      fc
        .array(fc.constantFrom('0', '1', 'a', 'F', '10', ';', 'chunk-signature=', SEED_SIGNATURE, '\r\n', '\r', '\n', 'x-amz-checksum-crc32:', 'AAAA', 'x-amz-trailer-signature:', ' '), {
          maxLength: 30,
        })
        .map((tokens) => Buffer.from(tokens.join(''), 'latin1')),
    );
    await fc.assert(
      fc.asyncProperty(body, cuts, fc.constantFrom(SIGNED, SIGNED_TRAILER, UNSIGNED), async (bytes, at, opts) => {
        expectChunkedError(await decode(opts, splitAt(bytes, at)));
      }),
      params(),
    );
  });

  it('a mutated signed body either fails with AwsChunkedError or yields exactly the signed bytes', async () => {
    await fc.assert(
      fc.asyncProperty(payloadChunks, fc.array(byteMutation, { minLength: 1, maxLength: 2 }), cuts, async (chunks, edits, at) => {
        const signing = (SIGNED.payload as Extract<AwsChunkedDecoderOptions['payload'], { type: 'streaming-signed' }>).signing;
        const { body } = encodeSigned(chunks, { ...signing });
        let mutated = body;
        for (const m of edits) mutated = mutateBytes(mutated, m);
        const outcome = await decode(SIGNED, splitAt(mutated, at));
        expectChunkedError(outcome);
        // Signatures cover every data byte: a body that decodes must be the one that was signed.
        if (outcome.ok) expect(outcome.data.equals(Buffer.concat(chunks))).toBe(true);
      }),
      params(),
    );
  });

  it('a mutated signed body with a signed trailer fails only with AwsChunkedError', async () => {
    await fc.assert(
      fc.asyncProperty(payloadChunks, fc.array(byteMutation, { minLength: 1, maxLength: 2 }), cuts, async (chunks, edits, at) => {
        const signing = (SIGNED.payload as Extract<AwsChunkedDecoderOptions['payload'], { type: 'streaming-signed' }>).signing;
        const { body } = encodeSigned(chunks, { ...signing, trailers: [['x-amz-checksum-crc32', 'AAAAAA==']] });
        let mutated = body;
        for (const m of edits) mutated = mutateBytes(mutated, m);
        const outcome = await decode(SIGNED_TRAILER, splitAt(mutated, at));
        expectChunkedError(outcome);
        if (outcome.ok) expect(outcome.data.equals(Buffer.concat(chunks))).toBe(true);
      }),
      params(),
    );
  });

  it('a mutated unsigned-trailer body fails only with AwsChunkedError', async () => {
    await fc.assert(
      fc.asyncProperty(payloadChunks, fc.array(byteMutation, { minLength: 1, maxLength: 2 }), cuts, async (chunks, edits, at) => {
        let mutated = encodeUnsigned(chunks, ['x-amz-checksum-crc32', 'AAAAAA==']);
        for (const m of edits) mutated = mutateBytes(mutated, m);
        expectChunkedError(await decode(UNSIGNED, splitAt(mutated, at)));
      }),
      params(),
    );
  });

  it('the unmutated bodies decode (the mutations above start from valid bodies)', async () => {
    const chunks = [Buffer.from('hello '), Buffer.from('world')];
    const signing = (SIGNED.payload as Extract<AwsChunkedDecoderOptions['payload'], { type: 'streaming-signed' }>).signing;
    expect(await decode(SIGNED, [encodeSigned(chunks, { ...signing }).body])).toEqual({ ok: true, data: Buffer.from('hello world') });
    const trailed = encodeSigned(chunks, { ...signing, trailers: [['x-amz-checksum-crc32', 'AAAAAA==']] }).body;
    expect(await decode(SIGNED_TRAILER, [trailed])).toEqual({ ok: true, data: Buffer.from('hello world') });
    expect(await decode(UNSIGNED, [encodeUnsigned(chunks, ['x-amz-checksum-crc32', 'AAAAAA=='])])).toEqual({ ok: true, data: Buffer.from('hello world') });
  });
});

// ---- XML request bodies

const VALID_XML = {
  complete:
    '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    '<Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part>' +
    '<Part><PartNumber>2</PartNumber><ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag></Part></CompleteMultipartUpload>',
  delete:
    '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>false</Quiet><Object><Key>a/b.txt</Key></Object>' +
    '<Object><Key>c&amp;d</Key><VersionId>null</VersionId></Object></Delete>',
  cors:
    '<CORSConfiguration><CORSRule><ID>r1</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>' +
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>',
};

/** How the server reads each body: the shared parser, then the operation's own reader. */
const READERS: Record<keyof typeof VALID_XML, (text: string) => unknown> = {
  complete: (text) => parseCompleteRequest(Buffer.from(text)),
  delete: (text) => parseDeleteRequest(Buffer.from(text)),
  cors: (text) => {
    parseXmlBody(text, 'CORSConfiguration');
    return parseCorsXml(text);
  },
};

/** Random XML built from the schema's own element names, so structure errors are reached. */
const NAMES = ['CompleteMultipartUpload', 'Part', 'PartNumber', 'ETag', 'Delete', 'Object', 'Key', 'VersionId', 'Quiet', 'CORSConfiguration', 'CORSRule', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader', 'MaxAgeSeconds', 'ID'];
const xmlTree = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(hostilePiece.map((t) => t.replace(/[<&]/g, '')), fc.constantFrom('1', '10000', 'true', 'PUT', 'GET', '*', '"etag"', '')),
    fc.tuple(fc.constantFrom(...NAMES), fc.array(tie('node'), { maxLength: 4 })).map(([name, children]) => `<${name}>${children.join('')}</${name}>`),
  ),
})).node;

describe('XML request bodies under hostile input', () => {
  for (const [name, read] of Object.entries(READERS) as [keyof typeof VALID_XML, (text: string) => unknown][]) {
    it(`${name}: the valid document parses (the mutations below start from it)`, () => {
      expect(() => read(VALID_XML[name])).not.toThrow();
    });

    it(`${name}: random text, mutated documents and random trees throw only S3Error`, () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 300 }),
            fc.array(mutation, { minLength: 1, maxLength: 3 }).map((edits) => edits.reduce((text, m) => mutateText(text, m), VALID_XML[name])),
            xmlTree,
          ),
          (text) => expectOnlyS3Errors(() => read(text)),
        ),
        params(),
      );
    });
  }

  it('entity expansion and DTDs are refused as MalformedXML', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Delete><Object><Key>&b;</Key></Object></Delete>`;
    for (const read of Object.values(READERS)) {
      expect(() => read(bomb)).toThrow(S3Error);
    }
  });
});
