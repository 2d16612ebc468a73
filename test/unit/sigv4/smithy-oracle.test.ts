/**
 * An independent oracle: requests signed by the AWS SDK's own signer (@smithy/signature-v4,
 * configured as the S3 client configures it: service 's3', uriEscapePath false, paths encoded
 * as JS v3 encodes keys) must verify; tampered copies must not.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SignableRequest, VerifyResult } from '../../../src/auth/types.ts';
import { deriveSigningKey } from '../../../src/sigv4/signing-key.ts';
import { verifyHeaderSignature } from '../../../src/sigv4/verify-header.ts';
import { verifyPresignedUrl } from '../../../src/sigv4/verify-query.ts';
import { contextFor, makeToken } from './fixtures.ts';

const TOKEN = makeToken('AKIDORACLE', 'oracle/secret+key=0123456789');
const SIGNED_AT = new Date('2024-06-01T08:30:00Z');
const CTX = contextFor([TOKEN], new Date('2024-06-01T08:31:00Z'));
const HOST = '127.0.0.1:9000';

const KEYS = [
  'plain.txt',
  'with space.txt',
  'unicodé/ключ/ሴ.txt',
  'a+b=c@d.txt',
  "bang!star*paren().txt",
  'a//b',
  '../x',
  './dot/./segments/',
  'percent%20literal',
  'tilde~and_dash-.txt',
];

/** How JS v3 (and smithy's query builder) escape: encodeURIComponent plus !'()*. */
function extendedEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function keyPath(key: string): string {
  return `/bucket/${key.split('/').map(extendedEncode).join('/')}`;
}

function serializeQuery(query: HttpRequest['query']): string {
  return Object.entries(query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((value) => (value == null ? extendedEncode(k) : `${extendedEncode(k)}=${extendedEncode(value)}`)))
    .join('&');
}

function toSignable(request: HttpRequest): SignableRequest {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) (headers[name.toLowerCase()] ??= []).push(value);
  return { method: request.method, rawPath: request.path, rawQuery: serializeQuery(request.query), headers };
}

function signer(secretAccessKey = TOKEN.secretAccessKey): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials: { accessKeyId: TOKEN.accessKeyId, secretAccessKey },
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
}

/** As @aws-sdk/s3-request-presigner prepares a request: UNSIGNED-PAYLOAD, hoisted into the query. */
async function smithyPresign(method: string, key: string, query: Record<string, string> = {}, secret?: string): Promise<SignableRequest> {
  const request = new HttpRequest({
    method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 9000,
    path: keyPath(key),
    query,
    headers: { host: HOST, 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' },
  });
  const presigned = await signer(secret).presign(request, { signingDate: SIGNED_AT, expiresIn: 900 });
  return toSignable(presigned as HttpRequest);
}

async function smithySign(
  method: string,
  key: string,
  options: { body?: string; headers?: Record<string, string>; query?: Record<string, string> } = {},
): Promise<SignableRequest> {
  const request = new HttpRequest({
    method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 9000,
    path: keyPath(key),
    query: options.query ?? {},
    headers: { host: HOST, ...(options.headers ?? {}) },
    body: options.body,
  });
  const signed = await signer().sign(request, { signingDate: SIGNED_AT });
  return toSignable(signed as HttpRequest);
}

function outcome(result: VerifyResult): string {
  return result.ok ? 'ok' : result.failure.reason;
}

function withHeader(req: SignableRequest, name: string, value: string): SignableRequest {
  return { ...req, headers: { ...req.headers, [name]: [value] } };
}

describe('presigned URLs from @smithy/signature-v4', () => {
  it.each(KEYS)('GET %j verifies', async (key) => {
    const req = await smithyPresign('GET', key, { 'x-id': 'GetObject', 'response-content-disposition': 'attachment; filename="a b.txt"' });
    expect(outcome(verifyPresignedUrl(req, CTX))).toBe('ok');
  });

  it.each(KEYS)('PUT %j verifies, with an unsigned payload', async (key) => {
    const result = verifyPresignedUrl(await smithyPresign('PUT', key, { 'x-id': 'PutObject' }), CTX);
    expect(result.ok ? result.payload : result.failure).toEqual({ type: 'unsigned' });
  });

  it('a Content-Type the presigner left unsigned may be anything', async () => {
    const req = withHeader(await smithyPresign('PUT', 'a.txt'), 'content-type', 'text/whatever');
    expect(outcome(verifyPresignedUrl(req, CTX))).toBe('ok');
  });

  it.each(KEYS)('GET %j used with PUT -> SignatureDoesNotMatch', async (key) => {
    const req = await smithyPresign('GET', key);
    expect(outcome(verifyPresignedUrl({ ...req, method: 'PUT' }, CTX))).toBe('SignatureDoesNotMatch');
  });

  it.each(KEYS)('%j with one more character in the key -> SignatureDoesNotMatch', async (key) => {
    const req = await smithyPresign('GET', key);
    expect(outcome(verifyPresignedUrl({ ...req, rawPath: `${req.rawPath}x` }, CTX))).toBe('SignatureDoesNotMatch');
  });

  it('a response-* override changed -> SignatureDoesNotMatch', async () => {
    const req = await smithyPresign('GET', 'a.txt', { 'response-content-type': 'text/plain' });
    const tampered = { ...req, rawQuery: req.rawQuery.replace('text%2Fplain', 'text%2Fhtml') };
    expect(outcome(verifyPresignedUrl(tampered, CTX))).toBe('SignatureDoesNotMatch');
  });

  it('a query parameter added -> SignatureDoesNotMatch', async () => {
    const req = await smithyPresign('GET', 'a.txt');
    expect(outcome(verifyPresignedUrl({ ...req, rawQuery: `${req.rawQuery}&versionId=1` }, CTX))).toBe('SignatureDoesNotMatch');
  });

  it('signed with another secret -> SignatureDoesNotMatch', async () => {
    const req = await smithyPresign('GET', 'a.txt', {}, 'not-the-secret');
    expect(outcome(verifyPresignedUrl(req, CTX))).toBe('SignatureDoesNotMatch');
  });

  it('used after its 900 s -> RequestExpired', async () => {
    const late = contextFor([TOKEN], new Date(SIGNED_AT.getTime() + 901_000));
    expect(outcome(verifyPresignedUrl(await smithyPresign('GET', 'a.txt'), late))).toBe('RequestExpired');
  });
});

describe('Authorization headers from @smithy/signature-v4', () => {
  it.each(KEYS)('PUT %j with a body verifies, and binds the body hash', async (key) => {
    const result = verifyHeaderSignature(await smithySign('PUT', key, { body: 'hello', headers: { 'content-type': 'text/plain' } }), CTX);
    const expectedHex = createHash('sha256').update('hello').digest('hex');
    expect(result.ok ? result.payload : result.failure).toEqual({ type: 'sha256', expectedHex });
  });

  it('GET with a listing query, metadata headers and messy whitespace verifies', async () => {
    const req = await smithySign('GET', '', {
      query: { 'list-type': '2', prefix: 'a b/ü+', delimiter: '/', 'continuation-token': 'x=y' },
      headers: { 'x-amz-meta-note': '  spaced   out  ', range: 'bytes=0-9' },
    });
    expect(outcome(verifyHeaderSignature(req, CTX))).toBe('ok');
  });

  it('UNSIGNED-PAYLOAD declared by the caller verifies as unsigned', async () => {
    const result = verifyHeaderSignature(await smithySign('PUT', 'k', { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }), CTX);
    expect(result.ok ? result.payload : result.failure).toEqual({ type: 'unsigned' });
  });

  it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD hands the chunk decoder the seed signature and signing key', async () => {
    const req = await smithySign('PUT', 'k', {
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5' },
    });
    const result = verifyHeaderSignature(req, CTX);
    const seed = /Signature=([0-9a-f]{64})/.exec(req.headers.authorization[0])?.[1];
    expect(result.ok ? result.payload : result.failure).toEqual({
      type: 'streaming-signed',
      trailer: false,
      signing: {
        signingKey: deriveSigningKey(TOKEN.secretAccessKey, '20240601', 'us-east-1', 's3'),
        amzDate: '20240601T083000Z',
        scope: '20240601/us-east-1/s3/aws4_request',
        seedSignature: seed,
      },
    });
  });

  it('STREAMING-UNSIGNED-PAYLOAD-TRAILER verifies as streaming-unsigned-trailer', async () => {
    const req = await smithySign('PUT', 'k', { headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-trailer': 'x-amz-checksum-crc32' } });
    const result = verifyHeaderSignature(req, CTX);
    expect(result.ok ? result.payload : result.failure).toEqual({ type: 'streaming-unsigned-trailer' });
  });

  it.each(KEYS)('%j with the method changed -> SignatureDoesNotMatch', async (key) => {
    const req = await smithySign('PUT', key, { body: 'hello' });
    expect(outcome(verifyHeaderSignature({ ...req, method: 'POST' }, CTX))).toBe('SignatureDoesNotMatch');
  });

  it('a signed header changed -> SignatureDoesNotMatch', async () => {
    const req = await smithySign('PUT', 'k', { body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(outcome(verifyHeaderSignature(withHeader(req, 'content-type', 'text/html'), CTX))).toBe('SignatureDoesNotMatch');
  });

  it('a declared body hash changed -> SignatureDoesNotMatch', async () => {
    const req = await smithySign('PUT', 'k', { body: 'hello' });
    const other = createHash('sha256').update('bye').digest('hex');
    expect(outcome(verifyHeaderSignature(withHeader(req, 'x-amz-content-sha256', other), CTX))).toBe('SignatureDoesNotMatch');
  });

  it('an x-amz-* header added after signing -> HeadersNotSigned', async () => {
    const req = await smithySign('PUT', 'k', { body: 'hello' });
    expect(outcome(verifyHeaderSignature(withHeader(req, 'x-amz-acl', 'public-read'), CTX))).toBe('HeadersNotSigned');
  });
});
