/**
 * The AWS S3 documentation examples (reference s3-auth.md §7.1, §7.2), written out by hand,
 * checked stage by stage and then through the verifiers with the clock pinned.
 */
import { describe, expect, it } from 'vitest';
import type { SignableRequest } from '../../../src/auth/types.ts';
import { createCanonicalHeaders, createCanonicalQuery, createCanonicalRequest, createCanonicalUri } from '../../../src/sigv4/canonical-request.ts';
import { calculateSignature, deriveSigningKey, sha256Hex } from '../../../src/sigv4/signing-key.ts';
import { createCredentialScope, createStringToSign } from '../../../src/sigv4/string-to-sign.ts';
import { verifyHeaderSignature } from '../../../src/sigv4/verify-header.ts';
import { verifyPresignedUrl } from '../../../src/sigv4/verify-query.ts';
import { contextFor, DOC_KEY, makeToken, requestOf } from './fixtures.ts';

const E = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HOST = 'examplebucket.s3.amazonaws.com';
const AMZ_DATE = '20130524T000000Z';
const SCOPE = '20130524/us-east-1/s3/aws4_request';
const SIGNED_AT = new Date('2013-05-24T00:00:00Z');
const ctx = (now: Date) => contextFor([makeToken(DOC_KEY.accessKeyId, DOC_KEY.secretAccessKey)], now);

describe('signing key', () => {
  it('for 20130524/us-east-1/s3 is dbb893ac…8378', () => {
    expect(deriveSigningKey(DOC_KEY.secretAccessKey, '20130524', 'us-east-1', 's3').toString('hex')).toBe(
      'dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378',
    );
  });
});

describe('§7.1 presigned GET /test.txt', () => {
  const SIGNATURE = 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const query =
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host';
  const url = `/test.txt?${query}&X-Amz-Signature=${SIGNATURE}`;
  const CANONICAL_REQUEST = [
    'GET',
    '/test.txt',
    query,
    `host:${HOST}`,
    '',
    'host',
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const req = requestOf('GET', url, { host: HOST });

  it('canonical request (hash 3bfa2928…ad04)', () => {
    const creq = createCanonicalRequest({
      method: 'GET',
      canonicalUri: createCanonicalUri(req.rawPath),
      canonicalQuery: createCanonicalQuery(req.rawQuery, { exclude: ['X-Amz-Signature'] }),
      canonicalHeaders: createCanonicalHeaders(req.headers, ['host']),
      signedHeaders: 'host',
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    expect(creq).toBe(CANONICAL_REQUEST);
    expect(sha256Hex(creq)).toBe('3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04');
  });

  it('string to sign and signature aeeed9bb…f604d404', () => {
    const sts = createStringToSign(AMZ_DATE, createCredentialScope('20130524', 'us-east-1', 's3'), CANONICAL_REQUEST);
    expect(sts).toBe(`AWS4-HMAC-SHA256\n${AMZ_DATE}\n${SCOPE}\n3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04`);
    expect(calculateSignature(deriveSigningKey(DOC_KEY.secretAccessKey, '20130524', 'us-east-1', 's3'), sts)).toBe(SIGNATURE);
  });

  it('verifyPresignedUrl accepts it within its 86400 s, with an unsigned payload', () => {
    const result = verifyPresignedUrl(req, ctx(new Date('2013-05-24T12:00:00Z')));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.accessKeyId).toBe(DOC_KEY.accessKeyId);
    expect(result.payload).toEqual({ type: 'unsigned' });
    expect(result.steps.map((s) => s.name)).toEqual([
      'parse',
      'scope',
      'token',
      'signed-headers',
      'time',
      'payload',
      'canonical-request',
      'string-to-sign',
      'signature',
    ]);
    expect(result.steps.find((s) => s.name === 'canonical-request')?.detail.canonicalRequest).toBe(CANONICAL_REQUEST);
  });

  it('is still valid at exactly X-Amz-Date + X-Amz-Expires, and expired one second later', () => {
    expect(verifyPresignedUrl(req, ctx(new Date('2013-05-25T00:00:00Z'))).ok).toBe(true);
    const late = verifyPresignedUrl(req, ctx(new Date('2013-05-25T00:00:01Z')));
    expect(late.ok ? 'ok' : late.failure.reason).toBe('RequestExpired');
  });

  it('used with PUT instead of GET: SignatureDoesNotMatch', () => {
    const result = verifyPresignedUrl({ ...req, method: 'PUT' }, ctx(SIGNED_AT));
    expect(result.ok ? 'ok' : result.failure.reason).toBe('SignatureDoesNotMatch');
  });
});

describe('§7.2 header-auth examples', () => {
  interface Example {
    name: string;
    method: string;
    target: string;
    headers: Record<string, string>;
    signedHeaders: string;
    canonicalRequest: string;
    hash: string;
    signature: string;
  }
  const PUT_BODY_HASH = sha256Hex('Welcome to Amazon S3.');
  const examples: Example[] = [
    {
      name: 'GET Object with Range',
      method: 'GET',
      target: '/test.txt',
      headers: { host: HOST, range: 'bytes=0-9', 'x-amz-content-sha256': E, 'x-amz-date': AMZ_DATE },
      signedHeaders: 'host;range;x-amz-content-sha256;x-amz-date',
      canonicalRequest: ['GET', '/test.txt', '', `host:${HOST}`, 'range:bytes=0-9', `x-amz-content-sha256:${E}`, `x-amz-date:${AMZ_DATE}`, '', 'host;range;x-amz-content-sha256;x-amz-date', E].join('\n'),
      hash: '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
      signature: 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    },
    {
      name: 'PUT Object test$file.text (canonical URI /test%24file.text)',
      method: 'PUT',
      target: '/test$file.text',
      headers: {
        date: 'Fri, 24 May 2013 00:00:00 GMT',
        host: HOST,
        'x-amz-content-sha256': PUT_BODY_HASH,
        'x-amz-date': AMZ_DATE,
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      },
      signedHeaders: 'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
      canonicalRequest: [
        'PUT',
        '/test%24file.text',
        '',
        'date:Fri, 24 May 2013 00:00:00 GMT',
        `host:${HOST}`,
        `x-amz-content-sha256:${PUT_BODY_HASH}`,
        `x-amz-date:${AMZ_DATE}`,
        'x-amz-storage-class:REDUCED_REDUNDANCY',
        '',
        'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
        PUT_BODY_HASH,
      ].join('\n'),
      hash: '9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d',
      signature: '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    },
    {
      name: 'GET /?lifecycle (query line lifecycle=)',
      method: 'GET',
      target: '/?lifecycle',
      headers: { host: HOST, 'x-amz-content-sha256': E, 'x-amz-date': AMZ_DATE },
      signedHeaders: 'host;x-amz-content-sha256;x-amz-date',
      canonicalRequest: ['GET', '/', 'lifecycle=', `host:${HOST}`, `x-amz-content-sha256:${E}`, `x-amz-date:${AMZ_DATE}`, '', 'host;x-amz-content-sha256;x-amz-date', E].join('\n'),
      hash: '9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca',
      signature: 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
    },
    {
      name: 'GET /?max-keys=2&prefix=J',
      method: 'GET',
      target: '/?max-keys=2&prefix=J',
      headers: { host: HOST, 'x-amz-content-sha256': E, 'x-amz-date': AMZ_DATE },
      signedHeaders: 'host;x-amz-content-sha256;x-amz-date',
      canonicalRequest: ['GET', '/', 'max-keys=2&prefix=J', `host:${HOST}`, `x-amz-content-sha256:${E}`, `x-amz-date:${AMZ_DATE}`, '', 'host;x-amz-content-sha256;x-amz-date', E].join('\n'),
      hash: 'df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7',
      signature: '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    },
  ];

  describe.each(examples.map((e) => [e.name, e] as const))('%s', (_name, e) => {
    const withAuth = (signature: string): SignableRequest =>
      requestOf(e.method, e.target, {
        ...e.headers,
        authorization: `AWS4-HMAC-SHA256 Credential=${DOC_KEY.accessKeyId}/${SCOPE}, SignedHeaders=${e.signedHeaders}, Signature=${signature}`,
      });
    const req = withAuth(e.signature);

    it('canonical request and its hash', () => {
      const creq = createCanonicalRequest({
        method: e.method,
        canonicalUri: createCanonicalUri(req.rawPath),
        canonicalQuery: createCanonicalQuery(req.rawQuery),
        canonicalHeaders: createCanonicalHeaders(req.headers, e.signedHeaders.split(';')),
        signedHeaders: e.signedHeaders,
        payloadHash: e.headers['x-amz-content-sha256'],
      });
      expect(creq).toBe(e.canonicalRequest);
      expect(sha256Hex(creq)).toBe(e.hash);
    });

    it('string to sign and signature', () => {
      const sts = createStringToSign(AMZ_DATE, SCOPE, e.canonicalRequest);
      expect(sts).toBe(`AWS4-HMAC-SHA256\n${AMZ_DATE}\n${SCOPE}\n${e.hash}`);
      expect(calculateSignature(deriveSigningKey(DOC_KEY.secretAccessKey, '20130524', 'us-east-1', 's3'), sts)).toBe(e.signature);
    });

    it('verifyHeaderSignature accepts it at the signing time, with the declared payload', () => {
      const result = verifyHeaderSignature(req, ctx(SIGNED_AT));
      expect(result.ok ? 'ok' : result.failure).toBe('ok');
      if (result.ok) expect(result.payload).toEqual({ type: 'sha256', expectedHex: e.headers['x-amz-content-sha256'] });
    });

    it('a wrong signature is SignatureDoesNotMatch carrying the canonical request', () => {
      const result = verifyHeaderSignature(withAuth('0'.repeat(64)), ctx(SIGNED_AT));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.failure.reason).toBe('SignatureDoesNotMatch');
      expect(result.failure.elements.CanonicalRequest).toBe(e.canonicalRequest);
    });
  });
});
