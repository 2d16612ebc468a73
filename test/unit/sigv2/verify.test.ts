import { describe, expect, it } from 'vitest';
import { verifySigV2Header, verifySigV2Query } from '../../../src/sigv2/verify.ts';
import { presignV2Url, signV2Headers } from '../../../src/sigv2/sign-request.ts';
import { signV2 } from '../../../src/sigv2/signature.ts';
import { S3_ERRORS } from '../../../src/http/s3-errors.ts';
import type { SignableRequest } from '../../../src/auth/types.ts';
import { AKID, SECRET, contextAt, failureOf, makeToken, request, stepNamed } from './helpers.ts';

const CREDENTIALS = { accessKeyId: AKID, secretAccessKey: SECRET };
const DATE = 'Tue, 14 Nov 2023 22:13:20 GMT';
const NOW = '2023-11-14T22:13:20Z';

/** A header-signed request; `headers` must include Date or x-amz-date. */
function signed(method: string, target: string, headers: Record<string, string | string[]>, vhost?: string): SignableRequest {
  const req = request(method, target, headers, vhost);
  return withHeader(req, 'authorization', signV2Headers(req, CREDENTIALS).authorization);
}

function withHeader(req: SignableRequest, name: string, value: string | undefined): SignableRequest {
  const headers = { ...req.headers };
  if (value === undefined) delete headers[name];
  else headers[name] = [value];
  return { ...req, headers };
}

/** A presigned request: `headers` are signed and copied into the query; the result carries none of them. */
function presigned(method: string, target: string, expires: number, headers: Record<string, string | string[]> = {}): SignableRequest {
  const req = request(method, target, headers);
  return { ...req, headers: {}, rawQuery: presignV2Url(req, CREDENTIALS, expires).rawQuery };
}

const EXPIRES = 1700000600; // 2023-11-14T22:23:20Z

describe('verifySigV2Header', () => {
  it('accepts a valid request: kind, access key, token, unsigned payload, trace in order', () => {
    const result = verifySigV2Header(signed('GET', '/bkt/k', { Date: DATE }), contextAt(NOW));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.kind).toBe('sigv2-header');
    expect(result.accessKeyId).toBe(AKID);
    expect(result.token.name).toBe('example');
    expect(result.payload).toEqual({ type: 'unsigned' });
    expect(result.steps.map((s) => s.name)).toEqual(['parse', 'token', 'time', 'string-to-sign', 'signature']);
    expect(stepNamed(result, 'string-to-sign').detail.stringToSign).toBe(`GET\n\n\n${DATE}\n/bkt/k`);
  });

  it('never puts the secret in the trace', () => {
    for (const secret of [SECRET, 'wrong-secret']) {
      const req = withHeader(request('GET', '/bkt/k', { Date: DATE }), 'authorization', `AWS ${AKID}:${signV2(secret, 'x')}`);
      const result = verifySigV2Header(req, contextAt(NOW));
      expect(JSON.stringify(result.steps)).not.toContain(SECRET);
    }
  });

  it('Authorization with another scheme -> UnsupportedAuthorizationType', () => {
    const req = withHeader(request('GET', '/bkt/k', { Date: DATE }), 'authorization', 'Basic dXNlcjpwYXNz');
    const failure = failureOf(verifySigV2Header(req, contextAt(NOW)));
    expect(failure.reason).toBe('UnsupportedAuthorizationType');
    expect(failure.elements).toEqual({ ArgumentName: 'Authorization', ArgumentValue: 'Basic dXNlcjpwYXNz' });
  });

  it.each([['AWS AKIAIOSFODNN7EXAMPLE'], ['AWS AKIAIOSFODNN7EXAMPLE:'], ['AWS :c2ln'], ['AWS  AKIAIOSFODNN7EXAMPLE:c2ln'], ['AWS A:b:c']])(
    'malformed "%s" -> 400 InvalidArgument "Expected AwsAccessKeyId:signature" (UnsupportedAuthorizationType)',
    (value) => {
      const req = withHeader(request('GET', '/bkt/k', { Date: DATE }), 'authorization', value);
      const result = verifySigV2Header(req, contextAt(NOW));
      const failure = failureOf(result);
      expect(failure.reason).toBe('UnsupportedAuthorizationType');
      expect(S3_ERRORS[failure.reason]).toMatchObject({ status: 400, code: 'InvalidArgument' });
      expect(failure.message).toBe('AWS authorization header is invalid.  Expected AwsAccessKeyId:signature');
      expect(failure.elements).toEqual({ ArgumentName: 'Authorization', ArgumentValue: value });
      expect(result.steps.at(-1)).toMatchObject({ name: 'parse', ok: false });
    },
  );

  it('unknown access key -> AccessKeyUnknown (403 InvalidAccessKeyId) with AWSAccessKeyId', () => {
    const req = signed('GET', '/bkt/k', { Date: DATE });
    const result = verifySigV2Header(req, contextAt(NOW, []));
    expect(failureOf(result)).toEqual({ reason: 'AccessKeyUnknown', elements: { AWSAccessKeyId: AKID } });
    expect(result.accessKeyId).toBe(AKID);
  });

  it('revoked token -> TokenRevoked', () => {
    const ctx = contextAt(NOW, [makeToken({ revokedAt: '2023-11-01T00:00:00Z' })]);
    expect(failureOf(verifySigV2Header(signed('GET', '/bkt/k', { Date: DATE }), ctx)).reason).toBe('TokenRevoked');
  });

  it('expired token -> TokenExpired', () => {
    const ctx = contextAt(NOW, [makeToken({ expiresAt: '2023-11-14T22:00:00Z' })]);
    expect(failureOf(verifySigV2Header(signed('GET', '/bkt/k', { Date: DATE }), ctx)).reason).toBe('TokenExpired');
  });

  it('x-amz-security-token header -> SecurityTokenInvalid with Token-0 (signet issues no session tokens)', () => {
    const result = verifySigV2Header(signed('GET', '/bkt/k', { Date: DATE, 'x-amz-security-token': 'tok' }), contextAt(NOW));
    expect(failureOf(result)).toEqual({ reason: 'SecurityTokenInvalid', elements: { 'Token-0': 'tok' } });
    expect(S3_ERRORS.SecurityTokenInvalid).toMatchObject({ status: 400, code: 'InvalidToken' });
  });

  it('neither Date nor x-amz-date -> MissingDate', () => {
    const result = verifySigV2Header(signed('GET', '/bkt/k', {}), contextAt(NOW));
    expect(failureOf(result)).toEqual({ reason: 'MissingDate', elements: {} });
    expect(result.steps.at(-1)).toMatchObject({ name: 'time', ok: false });
  });

  it.each([['yesterday'], ['1700000000'], ['Tue, 31 Feb 2023 22:13:20 GMT'], ['Tue, 14 Nov 2023 24:13:20 GMT']])(
    'unparseable Date "%s" -> DateMalformed',
    (date) => {
      expect(failureOf(verifySigV2Header(signed('GET', '/bkt/k', { Date: date }), contextAt(NOW)))).toEqual({ reason: 'DateMalformed', elements: {} });
    },
  );

  it('Date 15 minutes and 1 second behind -> RequestTimeTooSkewed with RequestTime, ServerTime, MaxAllowedSkewMilliseconds', () => {
    const failure = failureOf(verifySigV2Header(signed('GET', '/bkt/k', { Date: DATE }), contextAt('2023-11-14T22:28:21Z')));
    expect(failure.reason).toBe('RequestTimeTooSkewed');
    expect(Object.entries(failure.elements)).toEqual([
      ['RequestTime', DATE],
      ['ServerTime', '2023-11-14T22:28:21Z'],
      ['MaxAllowedSkewMilliseconds', '900000'],
    ]);
  });

  it('Date 15 minutes and 1 second ahead -> RequestTimeTooSkewed', () => {
    const failure = failureOf(verifySigV2Header(signed('GET', '/bkt/k', { Date: DATE }), contextAt('2023-11-14T21:58:19Z')));
    expect(failure.reason).toBe('RequestTimeTooSkewed');
  });

  it('a skew of exactly 15 minutes either way is accepted', () => {
    expect(verifySigV2Header(signed('GET', '/bkt/k', { Date: DATE }), contextAt('2023-11-14T22:28:20Z')).ok).toBe(true);
    expect(verifySigV2Header(signed('GET', '/bkt/k', { Date: DATE }), contextAt('2023-11-14T21:58:20Z')).ok).toBe(true);
  });

  it('accepts Date with a numeric zone, and in RFC 850, asctime and ISO 8601 basic forms', () => {
    for (const date of ['Tue, 14 Nov 2023 23:13:20 +0100', 'Tuesday, 14-Nov-23 22:13:20 GMT', 'Tue Nov 14 22:13:20 2023', '20231114T221320Z']) {
      const result = verifySigV2Header(signed('GET', '/bkt/k', { Date: date }), contextAt(NOW));
      expect(result.ok, date).toBe(true);
      expect(stepNamed(result, 'time').detail.skewMs, date).toBe('0');
    }
  });

  it('x-amz-date is the request time when both are sent (a stale Date does not matter)', () => {
    const req = signed('GET', '/bkt/k', { Date: 'Tue, 14 Nov 2023 10:00:00 GMT', 'x-amz-date': DATE });
    const result = verifySigV2Header(req, contextAt(NOW));
    expect(result.ok).toBe(true);
    expect(stepNamed(result, 'time').detail.source).toBe('x-amz-date');
  });

  it('x-amz-date signed the standard way (empty Date line, x-amz-date amz header) matches the standard form', () => {
    const req = signed('GET', '/bkt/k', { 'x-amz-date': DATE });
    const result = verifySigV2Header(req, contextAt(NOW));
    expect(result.ok).toBe(true);
    expect(stepNamed(result, 'signature').detail.form).toBe('standard');
  });

  it('x-amz-date signed on the Date line (the document\'s DELETE example) matches the alternate form', () => {
    const req = request('DELETE', '/bkt/k', { Date: 'Tue, 14 Nov 2023 22:13:21 GMT', 'x-amz-date': DATE });
    const signature = signV2(SECRET, `DELETE\n\n\n${DATE}\n/bkt/k`);
    const result = verifySigV2Header(withHeader(req, 'authorization', `AWS ${AKID}:${signature}`), contextAt(NOW));
    expect(result.ok).toBe(true);
    expect(stepNamed(result, 'signature').detail.form).toBe('x-amz-date on the Date line');
  });

  it('the Date header value on the Date line while x-amz-date is sent is refused (neither form)', () => {
    const req = request('GET', '/bkt/k', { Date: DATE, 'x-amz-date': DATE });
    const signature = signV2(SECRET, `GET\n\n\n${DATE}\nx-amz-date:${DATE}\n/bkt/k`);
    const failure = failureOf(verifySigV2Header(withHeader(req, 'authorization', `AWS ${AKID}:${signature}`), contextAt(NOW)));
    expect(failure.reason).toBe('SignatureDoesNotMatch');
  });

  it('a path-style bucket root "/bkt" signed as "/bkt/" (botocore) or as "/bkt" is accepted', () => {
    const req = request('GET', '/bkt?prefix=a', { Date: DATE });
    const slash = signV2(SECRET, `GET\n\n\n${DATE}\n/bkt/`);
    const asSent = signV2(SECRET, `GET\n\n\n${DATE}\n/bkt`);
    const r1 = verifySigV2Header(withHeader(req, 'authorization', `AWS ${AKID}:${slash}`), contextAt(NOW));
    const r2 = verifySigV2Header(withHeader(req, 'authorization', `AWS ${AKID}:${asSent}`), contextAt(NOW));
    expect(stepNamed(r1, 'signature').detail.form).toBe('standard');
    expect(stepNamed(r2, 'signature').detail.form).toBe('bucket path signed without its trailing slash');
  });

  it('wrong secret -> SignatureDoesNotMatch with AWSAccessKeyId, StringToSign, SignatureProvided, StringToSignBytes (no CanonicalRequest)', () => {
    const req = withHeader(request('GET', '/bkt/k', { Date: DATE }), 'authorization', `AWS ${AKID}:${signV2('not-the-secret', 'x')}`);
    const failure = failureOf(verifySigV2Header(req, contextAt(NOW)));
    const stringToSign = `GET\n\n\n${DATE}\n/bkt/k`;
    expect(failure.reason).toBe('SignatureDoesNotMatch');
    expect(Object.keys(failure.elements)).toEqual(['AWSAccessKeyId', 'StringToSign', 'SignatureProvided', 'StringToSignBytes']);
    expect(failure.elements.AWSAccessKeyId).toBe(AKID);
    expect(failure.elements.StringToSign).toBe(stringToSign);
    expect(failure.elements.SignatureProvided).toBe(signV2('not-the-secret', 'x'));
    expect(failure.elements.StringToSignBytes.startsWith('47 45 54 0a 0a 0a 54 75 65 2c')).toBe(true);
    expect(failure.elements.StringToSignBytes.split(' ')).toHaveLength(Buffer.byteLength(stringToSign));
    expect(failure.elements.StringToSignBytes).toMatch(/^[0-9a-f]{2}( [0-9a-f]{2})*$/);
  });

  describe('tampering after signing -> SignatureDoesNotMatch', () => {
    const base = signed('PUT', '/bkt/k?acl', { Date: DATE, 'Content-Type': 'text/plain', 'x-amz-meta-a': '1' });
    const cases: [string, SignableRequest][] = [
      ['method', { ...base, method: 'POST' }],
      ['path', { ...base, rawPath: '/bkt/K' }],
      ['path encoding (%20 vs +)', { ...signed('GET', '/bkt/a%20b', { Date: DATE }), rawPath: '/bkt/a+b' }],
      ['sub-resource removed', { ...base, rawQuery: '' }],
      ['sub-resource added', { ...base, rawQuery: 'acl&versionId=1' }],
      ['Content-Type', withHeader(base, 'content-type', 'text/html')],
      ['amz header value', withHeader(base, 'x-amz-meta-a', '2')],
      ['amz header added', withHeader(base, 'x-amz-meta-b', '1')],
      ['Date (still within the skew)', withHeader(base, 'date', 'Tue, 14 Nov 2023 22:13:21 GMT')],
      ['virtual-hosted bucket', { ...signed('GET', '/k', { Date: DATE }, 'bkt'), virtualHostBucket: 'other' }],
    ];
    for (const [what, req] of cases) {
      it(what, () => {
        expect(failureOf(verifySigV2Header(req, contextAt(NOW))).reason).toBe('SignatureDoesNotMatch');
      });
    }
  });

  it('query parameters that are not sub-resources may change without breaking the signature', () => {
    const req = signed('GET', '/bkt?prefix=a', { Date: DATE });
    expect(verifySigV2Header({ ...req, rawQuery: 'prefix=b&max-keys=1' }, contextAt(NOW)).ok).toBe(true);
  });
});

describe('verifySigV2Query', () => {
  it('accepts a valid presigned URL: kind, unsigned payload, trace in order', () => {
    const result = verifySigV2Query(presigned('GET', '/bkt/k', EXPIRES), contextAt(NOW));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.kind).toBe('sigv2-query');
    expect(result.payload).toEqual({ type: 'unsigned' });
    expect(result.steps.map((s) => s.name)).toEqual(['parse', 'token', 'time', 'string-to-sign', 'signature']);
    expect(stepNamed(result, 'string-to-sign').detail.stringToSign).toBe(`GET\n\n\n${EXPIRES}\n/bkt/k`);
  });

  it.each([['AWSAccessKeyId'], ['Expires'], ['Signature']])('%s missing -> SigV2QueryParametersMissing', (name) => {
    const req = presigned('GET', '/bkt/k', EXPIRES);
    const rawQuery = req.rawQuery
      .split('&')
      .filter((p) => !p.startsWith(`${name}=`))
      .join('&');
    const failure = failureOf(verifySigV2Query({ ...req, rawQuery }, contextAt(NOW)));
    expect(failure).toEqual({ reason: 'SigV2QueryParametersMissing', elements: {} });
    expect(S3_ERRORS[failure.reason].message).toBe('Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  });

  it('none of the three parameters -> SigV2QueryParametersMissing', () => {
    const result = verifySigV2Query(request('GET', '/bkt/k?acl'), contextAt(NOW));
    expect(failureOf(result).reason).toBe('SigV2QueryParametersMissing');
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ name: 'parse', ok: false, detail: { missing: 'AWSAccessKeyId, Expires, Signature' } });
  });

  it('x-amz-security-token in the query (botocore copies it there) -> SecurityTokenInvalid with Token-0', () => {
    const req = presigned('GET', '/bkt/k', EXPIRES, { 'x-amz-security-token': 'FQoGZXIvYXdzEXAMPLE' });
    expect(req.rawQuery).toContain('x-amz-security-token=FQoGZXIvYXdzEXAMPLE');
    const result = verifySigV2Query(req, contextAt(NOW));
    expect(failureOf(result)).toEqual({ reason: 'SecurityTokenInvalid', elements: { 'Token-0': 'FQoGZXIvYXdzEXAMPLE' } });
    expect(result.steps.at(-1)).toMatchObject({ name: 'token', ok: false });
  });

  it.each([['abc'], ['1700000600.5'], ['-1'], ['']])('Expires "%s" -> DateMalformed, "Invalid date (should be seconds since epoch)"', (expires) => {
    const req = request('GET', `/bkt/k?AWSAccessKeyId=${AKID}&Expires=${expires}&Signature=x`);
    const failure = failureOf(verifySigV2Query(req, contextAt(NOW)));
    expect(failure.reason).toBe('DateMalformed');
    expect(S3_ERRORS[failure.reason]).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(failure.message).toBe(`Invalid date (should be seconds since epoch): ${expires}`);
  });

  it('now past Expires -> RequestExpired with Expires and ServerTime (ISO, no X-Amz-Expires)', () => {
    const result = verifySigV2Query(presigned('GET', '/bkt/k', EXPIRES), contextAt('2023-11-14T22:23:21Z'));
    const failure = failureOf(result);
    expect(failure.reason).toBe('RequestExpired');
    expect(Object.entries(failure.elements)).toEqual([
      ['Expires', '2023-11-14T22:23:20Z'],
      ['ServerTime', '2023-11-14T22:23:21Z'],
    ]);
    expect(result.steps.at(-1)).toMatchObject({ name: 'time', ok: false });
  });

  it('the URL is valid through its Expires second', () => {
    expect(verifySigV2Query(presigned('GET', '/bkt/k', EXPIRES), contextAt('2023-11-14T22:23:20Z')).ok).toBe(true);
  });

  it('unknown access key -> AccessKeyUnknown, before the expiry is looked at', () => {
    const result = verifySigV2Query(presigned('GET', '/bkt/k', EXPIRES), contextAt('2030-01-01T00:00:00Z', []));
    expect(failureOf(result)).toEqual({ reason: 'AccessKeyUnknown', elements: { AWSAccessKeyId: AKID } });
  });

  it('revoked token -> TokenRevoked; expired token -> TokenExpired', () => {
    const req = presigned('GET', '/bkt/k', EXPIRES);
    expect(failureOf(verifySigV2Query(req, contextAt(NOW, [makeToken({ revokedAt: NOW })]))).reason).toBe('TokenRevoked');
    expect(failureOf(verifySigV2Query(req, contextAt(NOW, [makeToken({ expiresAt: NOW })]))).reason).toBe('TokenExpired');
  });

  it('wrong signature -> SignatureDoesNotMatch with the four SigV2 elements', () => {
    const req = presigned('GET', '/bkt/k', EXPIRES);
    const rawQuery = req.rawQuery.replace(/Signature=[^&]*/, `Signature=${encodeURIComponent(signV2('nope', 'x'))}`);
    const failure = failureOf(verifySigV2Query({ ...req, rawQuery }, contextAt(NOW)));
    expect(failure.reason).toBe('SignatureDoesNotMatch');
    expect(Object.keys(failure.elements)).toEqual(['AWSAccessKeyId', 'StringToSign', 'SignatureProvided', 'StringToSignBytes']);
    expect(failure.elements.StringToSign).toBe(`GET\n\n\n${EXPIRES}\n/bkt/k`);
    expect(failure.elements.SignatureProvided).toBe(signV2('nope', 'x'));
  });

  describe('the Signature parameter', () => {
    // A signature that contains '+' (and '/'): found by trying keys until one does.
    const key = Array.from({ length: 200 }, (_, i) => `k${i}`).find((k) =>
      signV2(SECRET, `GET\n\n\n${EXPIRES}\n/bkt/${k}`).includes('+'),
    )!;
    const signature = signV2(SECRET, `GET\n\n\n${EXPIRES}\n/bkt/${key}`);
    const url = (sig: string) => request('GET', `/bkt/${key}?AWSAccessKeyId=${AKID}&Expires=${EXPIRES}&Signature=${sig}`);

    it('percent-encoded (%2B, as botocore sends it) is accepted', () => {
      expect(verifySigV2Query(url(encodeURIComponent(signature)), contextAt(NOW)).ok).toBe(true);
    });

    it('with a raw "+" is accepted ("+" is not read as a space)', () => {
      expect(verifySigV2Query(url(signature), contextAt(NOW)).ok).toBe(true);
    });

    it('with "+" turned into a space (%20) on the way is accepted: base64 has no spaces', () => {
      expect(verifySigV2Query(url(encodeURIComponent(signature.replace(/\+/g, ' '))), contextAt(NOW)).ok).toBe(true);
    });

    it('with "+" replaced by another character is refused', () => {
      const failure = failureOf(verifySigV2Query(url(encodeURIComponent(signature.replace(/\+/g, '-'))), contextAt(NOW)));
      expect(failure.reason).toBe('SignatureDoesNotMatch');
    });
  });

  it('a Content-Type the URL was not signed with (curl --data-binary, a browser form) -> SignatureDoesNotMatch, as AWS answers (aws/aws-sdk-js#557)', () => {
    const req = withHeader(presigned('PUT', '/bkt/up', EXPIRES), 'content-type', 'application/x-www-form-urlencoded');
    const failure = failureOf(verifySigV2Query(req, contextAt(NOW)));
    expect(failure.reason).toBe('SignatureDoesNotMatch');
    expect(failure.elements.StringToSign).toBe(`PUT\n\napplication/x-www-form-urlencoded\n${EXPIRES}\n/bkt/up`);
  });

  describe('headers botocore copies into the query', () => {
    const put = () => presigned('PUT', '/bkt/up', EXPIRES, { 'Content-Type': 'text/plain', 'x-amz-meta-a': ['1', '2'], 'x-amz-acl': 'private' });

    it('are signed: the URL works without sending them', () => {
      const req = put();
      expect(req.rawQuery).toContain('content-type=text%2Fplain');
      const result = verifySigV2Query(req, contextAt(NOW));
      expect(result.ok).toBe(true);
      expect(stepNamed(result, 'string-to-sign').detail.stringToSign).toBe(
        `PUT\n\ntext/plain\n${EXPIRES}\nx-amz-acl:private\nx-amz-meta-a:1,2\n/bkt/up`,
      );
    });

    it('the same Content-Type sent as a header is accepted', () => {
      expect(verifySigV2Query(withHeader(put(), 'content-type', 'text/plain'), contextAt(NOW)).ok).toBe(true);
    });

    it('a different Content-Type sent as a header -> SignatureDoesNotMatch (the header wins)', () => {
      expect(failureOf(verifySigV2Query(withHeader(put(), 'content-type', 'image/png'), contextAt(NOW))).reason).toBe('SignatureDoesNotMatch');
    });

    it('a changed value in the query -> SignatureDoesNotMatch', () => {
      const req = put();
      const failure = failureOf(verifySigV2Query({ ...req, rawQuery: req.rawQuery.replace('x-amz-acl=private', 'x-amz-acl=public-read') }, contextAt(NOW)));
      expect(failure.reason).toBe('SignatureDoesNotMatch');
    });
  });

  describe('tampering after presigning -> SignatureDoesNotMatch', () => {
    const base = presigned('GET', '/bkt/a%20b?response-content-type=text%2Fplain&versionId=1', EXPIRES);
    const cases: [string, SignableRequest][] = [
      ['method', { ...base, method: 'PUT' }],
      ['path', { ...base, rawPath: '/bkt/a%20c' }],
      ['Expires pushed later', { ...base, rawQuery: base.rawQuery.replace(`Expires=${EXPIRES}`, `Expires=${EXPIRES + 3600}`) }],
      ['response override', { ...base, rawQuery: base.rawQuery.replace('text%2Fplain', 'text%2Fhtml') }],
      ['sub-resource removed', { ...base, rawQuery: base.rawQuery.replace('&versionId=1', '') }],
      ['x-amz-* header added by the client', withHeader(base, 'x-amz-meta-x', '1')],
    ];
    for (const [what, req] of cases) {
      it(what, () => {
        expect(failureOf(verifySigV2Query(req, contextAt(NOW))).reason).toBe('SignatureDoesNotMatch');
      });
    }
  });
});
