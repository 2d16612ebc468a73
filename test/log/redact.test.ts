import { describe, expect, it } from 'vitest';
import type { VerificationStep } from '../../src/auth/types.ts';
import { verifyRequest } from '../../src/auth/verify-request.ts';
import { REDACTED, redactSteps, redactText } from '../../src/log/redact.ts';
import { verifyPostForm } from '../../src/policy/verify-post.ts';
import { createPresignedPost } from '../../src/policy/presigned-post.ts';
import { presignV2Url, signV2Headers } from '../../src/sigv2/sign-request.ts';
import { presignUrl, signRequest } from '../../src/sigv4/sign.ts';
import { contextFor, makeToken, requestOf, targetOf } from '../unit/sigv4/fixtures.ts';

const NOW = new Date('2024-05-05T05:05:05Z');
const TOKEN = makeToken('AKIDREDACT', 'redact-secret-0123456789');
const CTX = contextFor([TOKEN], NOW);
const creds = { accessKeyId: TOKEN.accessKeyId, secretAccessKey: TOKEN.secretAccessKey, region: 'us-east-1', now: NOW };
const HEX_A = 'a'.repeat(64);
const HEX_B = '0123456789abcdef'.repeat(4);

function step(detail: Record<string, string>, summary = 's'): VerificationStep {
  return { name: 'signature', ok: false, summary, detail };
}

function stored(steps: VerificationStep[]): string {
  return JSON.stringify(redactSteps(steps));
}

describe('redactSteps: fields named like a signature', () => {
  it('signatureProvided, signatureExpected, SignatureProvided and x-amz-signature lose their whole value', () => {
    const out = redactSteps([step({ signatureProvided: HEX_A, signatureExpected: HEX_B, SignatureProvided: 'c2lnbmF0dXJlLXYy', 'x-amz-signature': HEX_B })]);
    expect(out[0]!.detail).toEqual({ signatureProvided: REDACTED, signatureExpected: REDACTED, SignatureProvided: REDACTED, 'x-amz-signature': REDACTED });
  });

  it('a signature value found in a field is scrubbed wherever else it appears', () => {
    const out = redactSteps([
      step({ signatureProvided: HEX_A }),
      { name: 'payload', ok: false, summary: `chunk 1 signed ${HEX_A}`, detail: { note: `was ${HEX_A}.` } },
    ]);
    expect(JSON.stringify(out)).not.toContain(HEX_A);
    expect(out[1]!.summary).toBe(`chunk 1 signed ${REDACTED}`);
    expect(out[1]!.detail.note).toBe(`was ${REDACTED}.`);
  });

  it('keeps hashes a reader needs: canonicalRequestHash and the payload hash are not signatures', () => {
    const out = redactSteps([
      { name: 'canonical-request', ok: true, summary: 'x', detail: { canonicalRequestHash: HEX_B, payloadHash: HEX_A } },
    ]);
    expect(out[0]!.detail).toEqual({ canonicalRequestHash: HEX_B, payloadHash: HEX_A });
  });

  it('does not modify the steps it is given', () => {
    const steps = [step({ signatureProvided: HEX_A })];
    redactSteps(steps);
    expect(steps[0]!.detail.signatureProvided).toBe(HEX_A);
  });
});

describe('redactText: signatures inside text', () => {
  it('X-Amz-Signature in a query keeps every other parameter', () => {
    expect(redactText(`X-Amz-Credential=AKID%2F20240505&X-Amz-Signature=${HEX_A}&x-id=GetObject`)).toBe(
      `X-Amz-Credential=AKID%2F20240505&X-Amz-Signature=${REDACTED}&x-id=GetObject`,
    );
  });

  it('a SigV4 Authorization header keeps its Credential and SignedHeaders', () => {
    expect(redactText(`AWS4-HMAC-SHA256 Credential=AKID/20240505/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${HEX_A}`)).toBe(
      `AWS4-HMAC-SHA256 Credential=AKID/20240505/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${REDACTED}`,
    );
  });

  it('a SigV2 Authorization header keeps the access key id', () => {
    expect(redactText('AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=')).toBe(`AWS AKIAIOSFODNN7EXAMPLE:${REDACTED}`);
  });

  it('a SigV2 query Signature, URL-encoded base64', () => {
    expect(redactText('AWSAccessKeyId=AK&Expires=1&Signature=%2BbDIZ570mkaIGZ1u5dSoKSCm%2FEs%3D')).toBe(`AWSAccessKeyId=AK&Expires=1&Signature=${REDACTED}`);
  });

  it('a chunk line and a trailer signature line', () => {
    expect(redactText(`400;chunk-signature=${HEX_A}`)).toBe(`400;chunk-signature=${REDACTED}`);
    expect(redactText(`x-amz-trailer-signature:${HEX_B}`)).toBe(`x-amz-trailer-signature:${REDACTED}`);
  });

  it("an aws-chunked chunk's string to sign loses the previous signature on its fourth line", () => {
    const sts = ['AWS4-HMAC-SHA256-PAYLOAD', '20240505T050505Z', '20240505/us-east-1/s3/aws4_request', HEX_A, 'e3b0c442', HEX_B].join('\n');
    expect(redactText(sts)).toBe(['AWS4-HMAC-SHA256-PAYLOAD', '20240505T050505Z', '20240505/us-east-1/s3/aws4_request', REDACTED, 'e3b0c442', HEX_B].join('\n'));
    const trailer = ['AWS4-HMAC-SHA256-TRAILER', 'd', 's', HEX_A, HEX_B].join('\n');
    expect(redactText(trailer)).toBe(['AWS4-HMAC-SHA256-TRAILER', 'd', 's', REDACTED, HEX_B].join('\n'));
  });

  it('POST form fields written as JSON: "signature" and "x-amz-signature"', () => {
    expect(redactText(`{"x-amz-signature": "${HEX_A}", "key": "k"}`)).toBe(`{"x-amz-signature": "${REDACTED}", "key": "k"}`);
    expect(redactText('{"signature":"c2ln"}')).toBe(`{"signature":"${REDACTED}"}`);
  });

  it('text without a signature is unchanged', () => {
    const text = 'GET\n/bucket/key\nX-Amz-SignedHeaders=host\nhost:127.0.0.1:9000';
    expect(redactText(text)).toBe(text);
  });
});

describe('redactSteps on real verifier traces', () => {
  it('a tampered SigV4 presigned URL: neither the provided nor the expected signature survives; the credential does', () => {
    const url = presignUrl({ method: 'GET', url: 'http://127.0.0.1:9000/bucket/key', expiresIn: 60, ...creds });
    const original = new URL(url).searchParams.get('X-Amz-Signature')!;
    const tampered = url.replace(original, HEX_B);
    const result = verifyRequest(requestOf('GET', targetOf(tampered), { host: '127.0.0.1:9000' }), CTX);
    expect(result.ok).toBe(false);
    const raw = JSON.stringify(result.steps);
    expect(raw).toContain(original); // the verifier's trace really carries the expected signature
    expect(raw).toContain(HEX_B);
    const out = stored(result.steps);
    expect(out).not.toContain(original);
    expect(out).not.toContain(HEX_B);
    // The canonical query signs X-Amz-Credential but never X-Amz-Signature.
    const canonical = redactSteps(result.steps).find((s) => s.name === 'canonical-request')!.detail.canonicalRequest!;
    expect(canonical).toContain('X-Amz-Credential=AKIDREDACT');
    expect(canonical).not.toMatch(/X-Amz-Signature/i);
  });

  it('an unparsable SigV4 Authorization header is kept in the parse step without its Signature', () => {
    const auth = `AWS4-HMAC-SHA256 Credential=AKIDREDACT/20240505/us-east-1/s3/aws4_request, Signature=${HEX_A}`;
    const result = verifyRequest(requestOf('GET', '/bucket/key', { host: 'h', authorization: auth, 'x-amz-date': '20240505T050505Z' }), CTX);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result.steps)).toContain(HEX_A);
    expect(stored(result.steps)).not.toContain(HEX_A);
    expect(stored(result.steps)).toContain('Credential=AKIDREDACT');
  });

  it('a SigV4 header signed with the wrong secret', () => {
    const signed = signRequest({ method: 'GET', url: 'http://127.0.0.1:9000/bucket/key', payloadHash: 'UNSIGNED-PAYLOAD', ...creds, secretAccessKey: 'wrong-secret-000000' });
    const result = verifyRequest(requestOf('GET', '/bucket/key', signed.headers), CTX);
    expect(result.ok ? 'ok' : result.failure.reason).toBe('SignatureDoesNotMatch');
    expect(JSON.stringify(result.steps)).toContain(signed.signature);
    expect(stored(result.steps)).not.toContain(signed.signature);
  });

  it('SigV2 presigned URL and header: the base64 signatures (plain and URL-encoded) do not survive', () => {
    const base = requestOf('GET', '/bucket/key', { host: '127.0.0.1:9000' });
    const presigned = presignV2Url(base, TOKEN, NOW.getTime() / 1000 + 60);
    const accepted = verifyRequest({ ...base, rawQuery: presigned.rawQuery }, CTX);
    expect(accepted.ok).toBe(true);
    expect(JSON.stringify(accepted.steps)).toContain(presigned.signature);
    expect(stored(accepted.steps)).not.toContain(presigned.signature);
    expect(stored(accepted.steps)).not.toContain(encodeURIComponent(presigned.signature));

    const dated = requestOf('GET', '/bucket/key', { host: '127.0.0.1:9000', date: NOW.toUTCString() });
    const header = signV2Headers(dated, { accessKeyId: TOKEN.accessKeyId, secretAccessKey: 'not-the-secret-000' });
    const refused = verifyRequest({ ...dated, headers: { ...dated.headers, authorization: [header.authorization] } }, CTX);
    expect(refused.ok ? 'ok' : refused.failure.reason).toBe('SignatureDoesNotMatch');
    expect(JSON.stringify(refused.steps)).toContain(header.signature);
    expect(stored(refused.steps)).not.toContain(header.signature);
  });

  it('a POST policy form with a wrong signature', () => {
    const post = createPresignedPost({ bucket: 'bucket', key: 'k', ...creds, expiresIn: 60 });
    const fields = new Map(Object.entries({ ...post.fields, 'x-amz-signature': HEX_B }));
    const result = verifyPostForm(fields, { now: NOW, region: 'us-east-1', bucket: 'bucket', lookupToken: CTX.lookupToken });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result.steps)).toContain(post.fields['x-amz-signature']);
    const out = stored(result.steps);
    expect(out).not.toContain(post.fields['x-amz-signature']);
    expect(out).not.toContain(HEX_B);
  });
});
