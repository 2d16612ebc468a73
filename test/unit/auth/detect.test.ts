import { describe, expect, it } from 'vitest';
import { detectAuthMechanism } from '../../../src/auth/detect.ts';
import type { SignableRequest } from '../../../src/auth/types.ts';

function req(target: string, headers: Record<string, string> = {}): SignableRequest {
  const q = target.indexOf('?');
  return {
    method: 'GET',
    rawPath: q === -1 ? target : target.slice(0, q),
    rawQuery: q === -1 ? '' : target.slice(q + 1),
    headers: Object.fromEntries(Object.entries({ host: 'h', ...headers }).map(([k, v]) => [k, [v]])),
  };
}

function kindOf(request: SignableRequest): string {
  const d = detectAuthMechanism(request);
  return d.ok ? d.kind : d.failure.reason;
}

const V4_HEADER = 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00';

describe('detectAuthMechanism', () => {
  it("Authorization 'AWS4-HMAC-SHA256 …' -> sigv4-header", () => {
    expect(kindOf(req('/b/k', { authorization: V4_HEADER }))).toBe('sigv4-header');
  });

  it("Authorization 'AWS AKID:sig' -> sigv2-header", () => {
    expect(kindOf(req('/b/k', { authorization: 'AWS AKID:c2ln' }))).toBe('sigv2-header');
  });

  it.each(['X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Credential=a', 'X-Amz-Signature=00', 'X-Amz-Date=1&X-Amz-SignedHeaders=host'])(
    '?%s -> sigv4-query',
    (query) => {
      expect(kindOf(req(`/b/k?${query}`))).toBe('sigv4-query');
    },
  );

  it('X-Amz-Date alone, or lower-case x-amz-algorithm, is not a presigned URL -> anonymous', () => {
    expect(kindOf(req('/b/k?X-Amz-Date=20240101T000000Z'))).toBe('anonymous');
    expect(kindOf(req('/b/k?x-amz-algorithm=AWS4-HMAC-SHA256'))).toBe('anonymous');
  });

  it.each(['AWSAccessKeyId=AKID', 'Signature=c2ln', 'AWSAccessKeyId=AKID&Expires=1&Signature=c2ln'])('?%s -> sigv2-query', (query) => {
    expect(kindOf(req(`/b/k?${query}`))).toBe('sigv2-query');
  });

  it('no credentials -> anonymous', () => {
    expect(kindOf(req('/b/k?versionId=1'))).toBe('anonymous');
  });

  it('Authorization header plus X-Amz-* query -> MultipleAuthMechanisms with ArgumentName/ArgumentValue', () => {
    const d = detectAuthMechanism(req('/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256', { authorization: V4_HEADER }));
    expect(d.ok ? d.kind : d.failure).toEqual({
      reason: 'MultipleAuthMechanisms',
      elements: { ArgumentName: 'Authorization', ArgumentValue: V4_HEADER },
    });
    expect(d.step).toMatchObject({ name: 'detect', ok: false });
  });

  it('SigV4 and SigV2 query parameters together -> MultipleAuthMechanisms', () => {
    expect(kindOf(req('/b/k?X-Amz-Signature=00&Signature=c2ln'))).toBe('MultipleAuthMechanisms');
  });

  it('Authorization: Bearer … -> UnsupportedAuthorizationType echoing the header', () => {
    const d = detectAuthMechanism(req('/b/k', { authorization: 'Bearer abc.def' }));
    expect(d.ok ? d.kind : d.failure).toEqual({
      reason: 'UnsupportedAuthorizationType',
      elements: { ArgumentName: 'Authorization', ArgumentValue: 'Bearer abc.def' },
    });
  });

  it("a near miss of the scheme ('AWS-HMAC-SHA25 …') -> UnsupportedAuthorizationType", () => {
    expect(kindOf(req('/b/k', { authorization: 'AWS-HMAC-SHA25 Credential=x' }))).toBe('UnsupportedAuthorizationType');
  });
});
