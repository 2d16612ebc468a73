import { describe, expect, it } from 'vitest';
import type { SignableRequest } from '../../../src/auth/types.ts';
import { verifyRequest } from '../../../src/auth/verify-request.ts';
import { presignUrl, signRequestHeaders } from '../../../src/sigv4/sign.ts';
import { deriveSigningKey } from '../../../src/sigv4/signing-key.ts';
import { contextFor, makeToken, requestOf, targetOf } from '../sigv4/fixtures.ts';

const NOW = new Date('2024-05-05T05:05:05Z');
const TOKEN = makeToken('AKIDDISPATCH', 'dispatch-secret');
const CTX = contextFor([TOKEN], NOW);
const URL_BASE = 'http://127.0.0.1:9000/bucket/key';
const creds = { accessKeyId: TOKEN.accessKeyId, secretAccessKey: TOKEN.secretAccessKey, region: 'us-east-1', now: NOW };

function presigned(): SignableRequest {
  return requestOf('GET', targetOf(presignUrl({ method: 'GET', url: URL_BASE, expiresIn: 60, ...creds })), { host: '127.0.0.1:9000' });
}

function headerSigned(): SignableRequest {
  return requestOf('GET', '/bucket/key', signRequestHeaders({ method: 'GET', url: URL_BASE, payloadHash: 'UNSIGNED-PAYLOAD', ...creds }));
}

describe('verifyRequest', () => {
  it('a presigned URL goes to the SigV4 query verifier, behind a detect step', () => {
    const result = verifyRequest(presigned(), CTX);
    expect(result.ok).toBe(true);
    expect(result.kind).toBe('sigv4-query');
    expect(result.steps[0]).toMatchObject({ name: 'detect', ok: true });
    expect(result.steps[1].name).toBe('parse');
  });

  it('an Authorization header goes to the SigV4 header verifier', () => {
    const result = verifyRequest(headerSigned(), CTX);
    expect(result.ok ? result.kind : result.failure).toBe('sigv4-header');
    expect(result.steps.map((s) => s.name).slice(0, 2)).toEqual(['detect', 'parse']);
  });

  it('a SigV2 header goes to the SigV2 verifier (kind sigv2-header)', () => {
    const result = verifyRequest(requestOf('GET', '/bucket/key', { host: 'h', authorization: 'AWS AKIDDISPATCH:bm90IGl0', date: 'Sun, 05 May 2024 05:05:05 GMT' }), CTX);
    expect(result.kind).toBe('sigv2-header');
    expect(result.steps[0].name).toBe('detect');
  });

  it('a SigV2 presigned URL goes to the SigV2 verifier (kind sigv2-query)', () => {
    const result = verifyRequest(requestOf('GET', '/bucket/key?AWSAccessKeyId=AKIDDISPATCH&Expires=1714886000&Signature=bm90', { host: 'h' }), CTX);
    expect(result.kind).toBe('sigv2-query');
  });

  it('no credentials -> AnonymousAccessDenied, kind anonymous', () => {
    const result = verifyRequest(requestOf('GET', '/bucket/key', { host: 'h' }), CTX);
    expect(result.ok ? 'ok' : result.failure).toEqual({ reason: 'AnonymousAccessDenied', elements: {} });
    expect(result.kind).toBe('anonymous');
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ name: 'detect', ok: false });
  });

  it('two mechanisms -> MultipleAuthMechanisms before any verifier runs', () => {
    const req = headerSigned();
    const both = { ...req, rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256' };
    const result = verifyRequest(both, CTX);
    expect(result.ok ? 'ok' : result.failure.reason).toBe('MultipleAuthMechanisms');
    expect(result.steps.map((s) => s.name)).toEqual(['detect']);
  });

  it('an unknown Authorization scheme -> UnsupportedAuthorizationType', () => {
    const result = verifyRequest(requestOf('GET', '/bucket/key', { host: 'h', authorization: 'Basic dXNlcjpwYXNz' }), CTX);
    expect(result.ok ? 'ok' : result.failure.reason).toBe('UnsupportedAuthorizationType');
  });

  it('no step of a trace carries the secret or the signing key', () => {
    const signingKey = deriveSigningKey(TOKEN.secretAccessKey, '20240505', 'us-east-1', 's3');
    for (const req of [presigned(), headerSigned(), { ...presigned(), method: 'PUT' }]) {
      const text = JSON.stringify(verifyRequest(req, CTX).steps);
      expect(text).not.toContain(TOKEN.secretAccessKey);
      expect(text).not.toContain(signingKey.toString('hex'));
      expect(text).not.toContain(signingKey.toString('base64'));
    }
  });
});
