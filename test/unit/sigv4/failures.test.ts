/**
 * One named test per failure reason the SigV4 verifiers produce, with S3's elements (status,
 * Code and default Message come from the catalogue in src/http/s3-errors.ts, mapped elsewhere).
 * Requests are made valid by the signer, then broken one way each.
 */
import { describe, expect, it } from 'vitest';
import type { AuthFailure, SignableRequest, VerifyResult } from '../../../src/auth/types.ts';
import { presignUrl, signRequestHeaders, type PresignUrlInput, type SignRequestInput } from '../../../src/sigv4/sign.ts';
import { verifyHeaderSignature } from '../../../src/sigv4/verify-header.ts';
import { verifyPresignedUrl } from '../../../src/sigv4/verify-query.ts';
import { contextFor, makeToken, requestOf, targetOf } from './fixtures.ts';

const NOW = new Date('2024-03-01T12:00:00Z');
const TOKEN = makeToken('AKIDFAILURES', 'failures-secret/with+chars=');
const CTX = contextFor([TOKEN], NOW);
const URL_BASE = 'http://127.0.0.1:9000/bucket/key.txt';

function presignedRequest(overrides: Partial<PresignUrlInput> = {}, headers: Record<string, string> = {}): SignableRequest {
  const url = presignUrl({
    method: 'GET',
    url: URL_BASE,
    accessKeyId: TOKEN.accessKeyId,
    secretAccessKey: TOKEN.secretAccessKey,
    region: 'us-east-1',
    now: NOW,
    expiresIn: 3600,
    ...overrides,
  });
  return requestOf(overrides.method ?? 'GET', targetOf(url), { host: '127.0.0.1:9000', ...headers });
}

function headerRequest(overrides: Partial<SignRequestInput> = {}): SignableRequest {
  const headers = signRequestHeaders({
    method: 'PUT',
    url: URL_BASE,
    payloadHash: 'UNSIGNED-PAYLOAD',
    accessKeyId: TOKEN.accessKeyId,
    secretAccessKey: TOKEN.secretAccessKey,
    region: 'us-east-1',
    now: NOW,
    ...overrides,
  });
  return requestOf(overrides.method ?? 'PUT', targetOf(overrides.url ?? URL_BASE), headers);
}

/** Sets (or with undefined removes) a raw query parameter. */
function setParam(req: SignableRequest, name: string, rawValue: string | undefined): SignableRequest {
  const items = req.rawQuery.split('&').filter((item) => item.split('=')[0] !== name);
  if (rawValue !== undefined) items.push(`${name}=${rawValue}`);
  return { ...req, rawQuery: items.join('&') };
}

function setHeader(req: SignableRequest, name: string, value: string | undefined): SignableRequest {
  const headers = { ...req.headers };
  if (value === undefined) delete headers[name];
  else headers[name] = [value];
  return { ...req, headers };
}

function replaceInHeader(req: SignableRequest, name: string, from: string | RegExp, to: string): SignableRequest {
  return setHeader(req, name, req.headers[name][0].replace(from, to));
}

function failureOf(result: VerifyResult): AuthFailure {
  if (result.ok) throw new Error('expected a failure, the request was accepted');
  return result.failure;
}

function lastStep(result: VerifyResult) {
  return result.steps[result.steps.length - 1];
}

describe('the fixtures are valid before being broken', () => {
  it('a presigned GET verifies', () => {
    expect(verifyPresignedUrl(presignedRequest(), CTX).ok).toBe(true);
  });
  it('a header-signed PUT verifies', () => {
    expect(verifyHeaderSignature(headerRequest(), CTX).ok).toBe(true);
  });
});

describe('presigned URL failures', () => {
  it('X-Amz-Signature missing while other X-Amz-* are present -> QueryParametersMissing', () => {
    const failure = failureOf(verifyPresignedUrl(setParam(presignedRequest(), 'X-Amz-Signature', undefined), CTX));
    expect(failure).toEqual({ reason: 'QueryParametersMissing', elements: {} });
  });

  it('each of the six missing in turn -> QueryParametersMissing', () => {
    for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders']) {
      expect(failureOf(verifyPresignedUrl(setParam(presignedRequest(), name, undefined), CTX)).reason, name).toBe('QueryParametersMissing');
    }
  });

  it('auth parameter names are matched exactly: x-amz-expires is not X-Amz-Expires -> QueryParametersMissing', () => {
    const req = presignedRequest();
    const lowered = { ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=', 'x-amz-expires=') };
    expect(failureOf(verifyPresignedUrl(lowered, CTX)).reason).toBe('QueryParametersMissing');
  });

  it('X-Amz-Algorithm=AWS4-HMAC-SHA1 -> QueryAlgorithmUnsupported', () => {
    const failure = failureOf(verifyPresignedUrl(setParam(presignedRequest(), 'X-Amz-Algorithm', 'AWS4-HMAC-SHA1'), CTX));
    expect(failure).toEqual({ reason: 'QueryAlgorithmUnsupported', elements: {} });
  });

  it('X-Amz-Date in ISO extended form -> QueryDateMalformed', () => {
    const failure = failureOf(verifyPresignedUrl(setParam(presignedRequest(), 'X-Amz-Date', '2024-03-01T12:00:00Z'), CTX));
    expect(failure).toEqual({ reason: 'QueryDateMalformed', elements: {} });
  });

  it('X-Amz-Date on 30 February -> QueryDateMalformed', () => {
    expect(failureOf(verifyPresignedUrl(setParam(presignedRequest(), 'X-Amz-Date', '20240230T120000Z'), CTX)).reason).toBe('QueryDateMalformed');
  });

  it.each(['21600.0', '', 'abc', '1e3', 'undefined'])('X-Amz-Expires=%j -> QueryExpiresNotNumber', (value) => {
    const failure = failureOf(verifyPresignedUrl(setParam(presignedRequest(), 'X-Amz-Expires', value), CTX));
    expect(failure).toEqual({ reason: 'QueryExpiresNotNumber', elements: {} });
  });

  it('X-Amz-Expires=-100 -> QueryExpiresNegative', () => {
    const failure = failureOf(verifyPresignedUrl(setParam(presignedRequest(), 'X-Amz-Expires', '-100'), CTX));
    expect(failure).toEqual({ reason: 'QueryExpiresNegative', elements: {} });
  });

  it('X-Amz-Expires above 604800 -> QueryExpiresTooLarge', () => {
    const failure = failureOf(verifyPresignedUrl(presignedRequest({ expiresIn: 604801 }), CTX));
    expect(failure).toEqual({ reason: 'QueryExpiresTooLarge', elements: {} });
  });

  it('X-Amz-Expires of exactly 604800 is accepted', () => {
    expect(verifyPresignedUrl(presignedRequest({ expiresIn: 604800 }), CTX).ok).toBe(true);
  });

  it('X-Amz-Credential double-encoded (%252F) -> QueryCredentialMalformed', () => {
    const req = presignedRequest();
    const doubled = { ...req, rawQuery: req.rawQuery.replace(/X-Amz-Credential=[^&]*/, (m) => m.replace(/%2F/g, '%252F')) };
    expect(failureOf(verifyPresignedUrl(doubled, CTX))).toEqual({ reason: 'QueryCredentialMalformed', elements: {} });
  });

  it('credential date not yyyyMMdd -> QueryCredentialDateMalformed', () => {
    const req = setParam(presignedRequest(), 'X-Amz-Credential', `${TOKEN.accessKeyId}%2F2024-03-01%2Fus-east-1%2Fs3%2Faws4_request`);
    expect(failureOf(verifyPresignedUrl(req, CTX))).toEqual({ reason: 'QueryCredentialDateMalformed', elements: {} });
  });

  it('credential date not the day of X-Amz-Date -> QueryCredentialDateMismatch', () => {
    const req = setParam(presignedRequest(), 'X-Amz-Credential', `${TOKEN.accessKeyId}%2F20240229%2Fus-east-1%2Fs3%2Faws4_request`);
    expect(failureOf(verifyPresignedUrl(req, CTX))).toEqual({ reason: 'QueryCredentialDateMismatch', elements: {} });
  });

  it('signed for us-west-2 on a us-east-1 server -> QueryRegionWrong, with both regions in the message', () => {
    const failure = failureOf(verifyPresignedUrl(presignedRequest({ region: 'us-west-2' }), CTX));
    expect(failure).toEqual({
      reason: 'QueryRegionWrong',
      message: "Error parsing the X-Amz-Credential parameter; the region 'us-west-2' is wrong; expecting 'us-east-1'",
      elements: { Region: 'us-east-1' },
    });
  });

  it('signed for service ec2 -> QueryServiceWrong', () => {
    expect(failureOf(verifyPresignedUrl(presignedRequest({ service: 'ec2' }), CTX))).toEqual({ reason: 'QueryServiceWrong', elements: {} });
  });

  it('credential not ending in aws4_request -> QueryTerminatorWrong', () => {
    const req = setParam(presignedRequest(), 'X-Amz-Credential', `${TOKEN.accessKeyId}%2F20240301%2Fus-east-1%2Fs3%2Faws5_request`);
    expect(failureOf(verifyPresignedUrl(req, CTX))).toEqual({ reason: 'QueryTerminatorWrong', elements: {} });
  });

  it('X-Amz-Security-Token in the query -> SecurityTokenInvalid echoing it as Token-0', () => {
    const req = presignedRequest({ query: { 'X-Amz-Security-Token': 'FwoGZXIvYXdz/token+=' } });
    expect(failureOf(verifyPresignedUrl(req, CTX))).toEqual({
      reason: 'SecurityTokenInvalid',
      elements: { 'Token-0': 'FwoGZXIvYXdz/token+=' },
    });
  });

  it('host left out of X-Amz-SignedHeaders -> HeadersNotSigned host', () => {
    const req = presignedRequest({ signedHeaders: { 'content-type': 'text/plain' } }, { 'content-type': 'text/plain' });
    const hostless = setParam(req, 'X-Amz-SignedHeaders', 'content-type');
    expect(failureOf(verifyPresignedUrl(hostless, CTX))).toEqual({ reason: 'HeadersNotSigned', elements: { HeadersNotSigned: 'host' } });
  });

  it('a stray x-amz-expires header on a presigned request -> HeadersNotSigned x-amz-expires', () => {
    const req = presignedRequest({}, { 'x-amz-expires': '60' });
    expect(failureOf(verifyPresignedUrl(req, CTX))).toEqual({
      reason: 'HeadersNotSigned',
      elements: { HeadersNotSigned: 'x-amz-expires' },
    });
  });

  it('X-Amz-Date + X-Amz-Expires passed -> RequestExpired with X-Amz-Expires, Expires, ServerTime', () => {
    const result = verifyPresignedUrl(presignedRequest({ expiresIn: 60 }), contextFor([TOKEN], new Date('2024-03-01T12:01:00.500Z')));
    expect(failureOf(result)).toEqual({
      reason: 'RequestExpired',
      elements: { 'X-Amz-Expires': '60', Expires: '2024-03-01T12:01:00Z', ServerTime: '2024-03-01T12:01:00Z' },
    });
    expect(Object.keys(failureOf(result).elements)).toEqual(['X-Amz-Expires', 'Expires', 'ServerTime']);
    expect(lastStep(result)).toMatchObject({ name: 'time', ok: false, detail: { expiresAt: '2024-03-01T12:01:00Z' } });
  });

  it('X-Amz-Expires=0 -> RequestExpired even at the signing second', () => {
    expect(failureOf(verifyPresignedUrl(presignedRequest({ expiresIn: 0 }), CTX))).toEqual({
      reason: 'RequestExpired',
      elements: { 'X-Amz-Expires': '0', Expires: '2024-03-01T12:00:00Z', ServerTime: '2024-03-01T12:00:00Z' },
    });
  });

  it('X-Amz-Date more than 15 minutes ahead -> RequestNotYetValid with X-Amz-Date in epoch ms', () => {
    const signedAt = new Date('2024-03-01T12:15:01Z');
    const result = verifyPresignedUrl(presignedRequest({ now: signedAt }), CTX);
    expect(failureOf(result)).toEqual({
      reason: 'RequestNotYetValid',
      elements: { 'X-Amz-Date': String(signedAt.getTime()), Expires: '2024-03-01T13:15:01Z', ServerTime: '2024-03-01T12:00:00Z' },
    });
  });

  it('X-Amz-Date exactly 15 minutes ahead is still accepted', () => {
    expect(verifyPresignedUrl(presignedRequest({ now: new Date('2024-03-01T12:15:00Z') }), CTX).ok).toBe(true);
  });

  it('an old X-Amz-Date within its expiry is not "too skewed" for presigned URLs', () => {
    const later = contextFor([TOKEN], new Date('2024-03-07T12:00:00Z'));
    expect(verifyPresignedUrl(presignedRequest({ expiresIn: 604800 }), later).ok).toBe(true);
  });

  it('an unknown access key -> AccessKeyUnknown with AWSAccessKeyId', () => {
    const req = presignedRequest({ accessKeyId: 'AKIDNOBODY' });
    expect(failureOf(verifyPresignedUrl(req, CTX))).toEqual({ reason: 'AccessKeyUnknown', elements: { AWSAccessKeyId: 'AKIDNOBODY' } });
  });

  it('a revoked token -> TokenRevoked', () => {
    const revoked = contextFor([{ ...TOKEN, revokedAt: '2024-02-01T00:00:00Z' }], NOW);
    expect(failureOf(verifyPresignedUrl(presignedRequest(), revoked))).toEqual({
      reason: 'TokenRevoked',
      elements: { AWSAccessKeyId: TOKEN.accessKeyId },
    });
  });

  it('an expired token -> TokenExpired', () => {
    const expired = contextFor([{ ...TOKEN, expiresAt: '2024-03-01T11:00:00Z' }], NOW);
    expect(failureOf(verifyPresignedUrl(presignedRequest(), expired))).toEqual({
      reason: 'TokenExpired',
      elements: { AWSAccessKeyId: TOKEN.accessKeyId },
    });
  });

  it('a signed query parameter changed -> SignatureDoesNotMatch with the six elements in order', () => {
    const req = presignedRequest({ query: { 'response-content-type': 'text/plain' } });
    const tampered = setParam(req, 'response-content-type', 'text%2Fhtml');
    const failure = failureOf(verifyPresignedUrl(tampered, CTX));
    expect(failure.reason).toBe('SignatureDoesNotMatch');
    expect(Object.keys(failure.elements)).toEqual([
      'AWSAccessKeyId',
      'StringToSign',
      'SignatureProvided',
      'StringToSignBytes',
      'CanonicalRequest',
      'CanonicalRequestBytes',
    ]);
    expect(failure.elements.AWSAccessKeyId).toBe(TOKEN.accessKeyId);
    expect(failure.elements.SignatureProvided).toBe(/X-Amz-Signature=([0-9a-f]+)/.exec(req.rawQuery)?.[1]);
    expect(failure.elements.CanonicalRequest).toContain('response-content-type=text%2Fhtml');
    expect(failure.elements.StringToSign.startsWith('AWS4-HMAC-SHA256\n20240301T120000Z\n20240301/us-east-1/s3/aws4_request\n')).toBe(true);
    expect(failure.elements.StringToSignBytes.startsWith('41 57 53 34 2d 48 4d 41 43 2d 53 48 41 32 35 36 0a 32')).toBe(true);
    expect(failure.elements.CanonicalRequestBytes.split(' ').map((h) => String.fromCharCode(parseInt(h, 16))).join('')).toBe(
      failure.elements.CanonicalRequest,
    );
  });
});

describe('Authorization header failures', () => {
  it('Signature component missing -> HeaderMalformed', () => {
    const req = replaceInHeader(headerRequest(), 'authorization', /, Signature=[0-9a-f]+/, '');
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({ reason: 'HeaderMalformed', elements: {} });
  });

  it('components separated by spaces instead of commas -> HeaderMalformed', () => {
    const req = replaceInHeader(headerRequest(), 'authorization', /, /g, ' ');
    expect(failureOf(verifyHeaderSignature(req, CTX)).reason).toBe('HeaderMalformed');
  });

  it('bare commas and extra spaces around them are tolerated', () => {
    expect(verifyHeaderSignature(replaceInHeader(headerRequest(), 'authorization', /, /g, ','), CTX).ok).toBe(true);
    expect(verifyHeaderSignature(replaceInHeader(headerRequest(), 'authorization', /, /g, ' ,  '), CTX).ok).toBe(true);
  });

  it('credential with too few parts -> HeaderCredentialMalformed', () => {
    const req = replaceInHeader(headerRequest(), 'authorization', /Credential=[^,]*/, 'Credential=AKIDFAILURES/20240301/us-east-1/s3');
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({ reason: 'HeaderCredentialMalformed', elements: {} });
  });

  it('credential date not the day of x-amz-date -> HeaderCredentialDateMismatch', () => {
    const req = replaceInHeader(headerRequest(), 'authorization', '/20240301/', '/20240302/');
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({ reason: 'HeaderCredentialDateMismatch', elements: {} });
  });

  it('signed for us-west-2 on a us-east-1 server -> HeaderRegionWrong, with both regions in the message', () => {
    expect(failureOf(verifyHeaderSignature(headerRequest({ region: 'us-west-2' }), CTX))).toEqual({
      reason: 'HeaderRegionWrong',
      message: "The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'us-east-1'",
      elements: { Region: 'us-east-1' },
    });
  });

  it('signed for service sts -> HeaderServiceWrong', () => {
    expect(failureOf(verifyHeaderSignature(headerRequest({ service: 'sts' }), CTX))).toEqual({ reason: 'HeaderServiceWrong', elements: {} });
  });

  it('credential not ending in aws4_request -> HeaderTerminatorWrong', () => {
    const req = replaceInHeader(headerRequest(), 'authorization', '/aws4_request', '/aws4_requests');
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({ reason: 'HeaderTerminatorWrong', elements: {} });
  });

  it('x-amz-security-token header -> SecurityTokenInvalid echoing it as Token-0', () => {
    const req = headerRequest({ headers: { 'x-amz-security-token': 'IQoJb3JpZ2lu' } });
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({ reason: 'SecurityTokenInvalid', elements: { 'Token-0': 'IQoJb3JpZ2lu' } });
  });

  it('an x-amz-meta-* header sent but not signed -> HeadersNotSigned, lower-case, ", "-joined', () => {
    const req = setHeader(setHeader(headerRequest(), 'x-amz-meta-s1', 'v'), 'x-amz-tagging', 'a=b');
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({
      reason: 'HeadersNotSigned',
      elements: { HeadersNotSigned: 'x-amz-meta-s1, x-amz-tagging' },
    });
  });

  it('x-amz-content-sha256 may be sent unsigned', () => {
    const req = headerRequest();
    const auth = req.headers.authorization[0].replace('host;x-amz-content-sha256;x-amz-date', 'host;x-amz-date');
    const result = verifyHeaderSignature(setHeader(req, 'authorization', auth), CTX);
    // Unsigning it changes the signature, but the signed-headers rule must pass.
    expect(result.steps.find((s) => s.name === 'signed-headers')?.ok).toBe(true);
  });

  it('neither x-amz-date nor Date -> MissingDate', () => {
    const req = setHeader(headerRequest(), 'x-amz-date', undefined);
    const auth = req.headers.authorization[0].replace(';x-amz-date', '');
    expect(failureOf(verifyHeaderSignature(setHeader(req, 'authorization', auth), CTX))).toEqual({ reason: 'MissingDate', elements: {} });
  });

  it('x-amz-date not yyyyMMddTHHmmssZ -> DateMalformed', () => {
    const req = setHeader(headerRequest(), 'x-amz-date', '2024-03-01T12:00:00Z');
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({ reason: 'DateMalformed', elements: {} });
  });

  it('a Date header that is not RFC 1123 -> DateMalformed', () => {
    const req = setHeader(setHeader(headerRequest({ headers: { date: 'yesterday' } }), 'x-amz-date', undefined), 'date', 'yesterday');
    const auth = req.headers.authorization[0].replace(';x-amz-date', '');
    expect(failureOf(verifyHeaderSignature(setHeader(req, 'authorization', auth), CTX)).reason).toBe('DateMalformed');
  });

  it('signed 16 minutes ago -> RequestTimeTooSkewed with RequestTime as sent, ServerTime, MaxAllowedSkewMilliseconds', () => {
    const req = headerRequest({ now: new Date('2024-03-01T11:44:00Z') });
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({
      reason: 'RequestTimeTooSkewed',
      elements: { RequestTime: '20240301T114400Z', ServerTime: '2024-03-01T12:00:00Z', MaxAllowedSkewMilliseconds: '900000' },
    });
  });

  it('signed 15 minutes ahead is still accepted; 15 minutes and 1 second ahead is skewed', () => {
    expect(verifyHeaderSignature(headerRequest({ now: new Date('2024-03-01T12:15:00Z') }), CTX).ok).toBe(true);
    expect(failureOf(verifyHeaderSignature(headerRequest({ now: new Date('2024-03-01T12:15:01Z') }), CTX)).reason).toBe('RequestTimeTooSkewed');
  });

  it('x-amz-content-sha256 absent -> ContentSha256Missing', () => {
    const req = setHeader(headerRequest(), 'x-amz-content-sha256', undefined);
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({ reason: 'ContentSha256Missing', elements: {} });
  });

  it('x-amz-content-sha256 of an unknown value -> ContentSha256Invalid with ArgumentName and ArgumentValue', () => {
    const req = headerRequest({ payloadHash: 'UNSIGNED' });
    expect(failureOf(verifyHeaderSignature(req, CTX))).toEqual({
      reason: 'ContentSha256Invalid',
      elements: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: 'UNSIGNED' },
    });
  });

  it('x-amz-content-sha256 of a SigV4a streaming value -> ContentSha256Invalid (signet has no SigV4a)', () => {
    const req = headerRequest({ payloadHash: 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD' });
    expect(failureOf(verifyHeaderSignature(req, CTX)).reason).toBe('ContentSha256Invalid');
  });

  it('a signed header changed after signing -> SignatureDoesNotMatch', () => {
    const req = headerRequest({ headers: { 'content-type': 'image/png' } });
    const failure = failureOf(verifyHeaderSignature(setHeader(req, 'content-type', 'text/html'), CTX));
    expect(failure.reason).toBe('SignatureDoesNotMatch');
    expect(failure.elements.CanonicalRequest).toContain('content-type:text/html\n');
  });

  it('an unknown access key -> AccessKeyUnknown with AWSAccessKeyId', () => {
    expect(failureOf(verifyHeaderSignature(headerRequest({ accessKeyId: 'AKIDNOBODY' }), CTX))).toEqual({
      reason: 'AccessKeyUnknown',
      elements: { AWSAccessKeyId: 'AKIDNOBODY' },
    });
  });
});

describe('check order (reference §6.4)', () => {
  it('syntax before scope: a bad X-Amz-Expires wins over a wrong region', () => {
    const req = setParam(presignedRequest({ region: 'eu-west-1' }), 'X-Amz-Expires', 'x');
    expect(failureOf(verifyPresignedUrl(req, CTX)).reason).toBe('QueryExpiresNotNumber');
  });

  it('scope before token: a wrong region wins over an unknown key', () => {
    expect(failureOf(verifyPresignedUrl(presignedRequest({ region: 'eu-west-1', accessKeyId: 'AKIDNOBODY' }), CTX)).reason).toBe('QueryRegionWrong');
  });

  it('token before time: an unknown key wins over an expired URL', () => {
    const later = contextFor([TOKEN], new Date('2025-01-01T00:00:00Z'));
    expect(failureOf(verifyPresignedUrl(presignedRequest({ accessKeyId: 'AKIDNOBODY' }), later)).reason).toBe('AccessKeyUnknown');
  });

  it('time before signature: an expired URL with a bad signature is RequestExpired', () => {
    const later = contextFor([TOKEN], new Date('2025-01-01T00:00:00Z'));
    const req = setParam(presignedRequest(), 'X-Amz-Signature', '0'.repeat(64));
    expect(failureOf(verifyPresignedUrl(req, later)).reason).toBe('RequestExpired');
  });

  it('time before payload for header auth: a skewed request without x-amz-content-sha256 is RequestTimeTooSkewed', () => {
    const req = setHeader(headerRequest({ now: new Date('2024-03-01T10:00:00Z') }), 'x-amz-content-sha256', undefined);
    expect(failureOf(verifyHeaderSignature(req, CTX)).reason).toBe('RequestTimeTooSkewed');
  });

  it('the failing step is the last step of the trace, and the failure names the access key once known', () => {
    const result = verifyPresignedUrl(presignedRequest({ expiresIn: 0 }), CTX);
    expect(lastStep(result)).toMatchObject({ name: 'time', ok: false });
    expect(result.ok ? undefined : result.accessKeyId).toBe(TOKEN.accessKeyId);
  });
});
