/**
 * SigV4 with the Authorization header (reference s3-auth.md §1, check order §6.4):
 *
 *   parse -> scope -> token -> session token -> signed-headers -> time -> payload
 *         -> canonical-request -> string-to-sign -> signature
 *
 * Pure: time, region and the token lookup come in through the context.
 */
import type { PayloadMode, VerifyContext, VerifyResult, SignableRequest } from '../auth/types.ts';
import { HEADER, MAX_SKEW_MS, S3_SERVICE } from './constants.ts';
import { createCanonicalQuery, splitSignedHeaders } from './canonical-request.ts';
import { parseAuthorizationHeader, parseCredential, parseRequestDate, type Credential, type RequestDate } from './parse.ts';
import { classifyContentSha256, type DeclaredPayload } from './payload.ts';
import { parseRawQuery } from './query.ts';
import { computeSignature } from './signature.ts';
import { deriveSigningKey } from './signing-key.ts';
import { formatErrorTime } from './time.ts';
import { checkSecurityToken, checkSignedHeaders, checkToken, compareSignature, Trace, type SigV4VerifyOptions } from './verify-steps.ts';

export function verifyHeaderSignature(req: SignableRequest, ctx: VerifyContext, options: SigV4VerifyOptions = {}): VerifyResult {
  const trace = new Trace('sigv4-header');
  const service = options.service ?? S3_SERVICE;

  const authorization = req.headers[HEADER.authorization]?.[0] ?? '';
  const auth = parseAuthorizationHeader(authorization);
  if (!auth.ok) return trace.failParse('parse', auth, { authorization });
  trace.pass('parse', 'the Authorization header has Credential, SignedHeaders and Signature', {
    credential: auth.value.credential,
    signedHeaders: auth.value.signedHeaders,
  });

  const requestDate = parseRequestDate(req.headers);
  const credential = parseCredential(
    auth.value.credential,
    { requestShortDate: requestDate.ok ? requestDate.value.amzDate.slice(0, 8) : undefined, region: ctx.region, service },
    'header',
  );
  if (!credential.ok) return trace.failParse('scope', credential, scopeDetail(auth.value.credential, ctx.region, service));
  const { accessKeyId } = credential.value;
  trace.accessKeyId = accessKeyId;
  trace.pass('scope', `credential scope ${credential.value.scope} matches this server`, scopeDetail(auth.value.credential, ctx.region, service));

  const token = checkToken(trace, accessKeyId, ctx);
  if (!token.ok) return token.result;

  const params = parseRawQuery(req.rawQuery);
  const badSessionToken = checkSecurityToken(trace, params, req.headers);
  if (badSessionToken) return badSessionToken;

  const signedNames = splitSignedHeaders(auth.value.signedHeaders);
  const unsigned = checkSignedHeaders(trace, req.headers, signedNames);
  if (unsigned) return unsigned;

  if (!requestDate.ok) return trace.failParse('time', requestDate);
  const skewed = checkSkew(trace, requestDate.value, ctx.now);
  if (skewed) return skewed;

  const payload = readPayload(trace, req.headers, options);
  if (!payload.ok) return payload.result;

  const signingKey = deriveSigningKey(token.token.secretAccessKey, credential.value.date, ctx.region, service);
  const computed = computeSignature({
    method: req.method,
    rawPath: req.rawPath,
    canonicalQuery: createCanonicalQuery(req.rawQuery),
    headers: req.headers,
    signedHeaders: auth.value.signedHeaders,
    payloadHash: payload.payloadHash,
    amzDate: requestDate.value.amzDate,
    credentialScope: credential.value.scope,
    signingKey,
  });
  const mismatch = compareSignature(trace, accessKeyId, computed, auth.value.signature);
  if (mismatch) return mismatch;

  return trace.succeed(token.token, toPayloadMode(payload.declared, signingKey, requestDate.value.amzDate, credential.value, auth.value.signature));
}

function scopeDetail(credential: string, region: string, service: string): Record<string, string> {
  return { credential, serverRegion: region, expectedService: service };
}

/** Header auth tolerates 15 minutes of clock difference either way (§1.12, row 23). */
function checkSkew(trace: Trace, date: RequestDate, now: Date): VerifyResult | undefined {
  const skewMs = date.time.getTime() - now.getTime();
  const detail = {
    signedAt: formatErrorTime(date.time),
    timeFrom: date.source,
    serverNow: formatErrorTime(now),
    skewSeconds: String(Math.round(skewMs / 1000)),
    maxSkewSeconds: String(MAX_SKEW_MS / 1000),
  };
  if (Math.abs(skewMs) > MAX_SKEW_MS) {
    const direction = skewMs > 0 ? 'ahead of' : 'behind';
    return trace.fail(
      'time',
      `the request time ${detail.signedAt} is ${Math.abs(Math.round(skewMs / 1000))} s ${direction} the server's ${detail.serverNow}: more than 15 minutes`,
      {
        reason: 'RequestTimeTooSkewed',
        elements: { RequestTime: date.sent, ServerTime: formatErrorTime(now), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS) },
      },
      detail,
    );
  }
  trace.pass('time', `the request time ${detail.signedAt} is within 15 minutes of the server's ${detail.serverNow}`, detail);
  return undefined;
}

type PayloadRead = { ok: true; payloadHash: string; declared: DeclaredPayload } | { ok: false; result: VerifyResult };

/** x-amz-content-sha256 is required for header auth and must be a known value (rows 25, 26). */
function readPayload(trace: Trace, headers: Record<string, string[]>, options: SigV4VerifyOptions): PayloadRead {
  const values = headers[HEADER.contentSha256];
  if (values === undefined && options.bodySha256 !== undefined) {
    trace.pass('payload', 'generic SigV4: the body hash is the payload line', { payloadHash: options.bodySha256 });
    return { ok: true, payloadHash: options.bodySha256, declared: { type: 'sha256', expectedHex: options.bodySha256 } };
  }
  if (values === undefined) {
    return {
      ok: false,
      result: trace.fail('payload', 'x-amz-content-sha256 is required with an Authorization header, and was not sent', {
        reason: 'ContentSha256Missing',
        elements: {},
      }),
    };
  }
  const value = values.join(',');
  const declared = classifyContentSha256(value);
  if (!declared) {
    return {
      ok: false,
      result: trace.fail(
        'payload',
        `x-amz-content-sha256 "${value}" is neither a SHA-256 hex digest nor a payload mode signet supports`,
        { reason: 'ContentSha256Invalid', elements: { ArgumentName: HEADER.contentSha256, ArgumentValue: value } },
        { contentSha256: value },
      ),
    };
  }
  trace.pass('payload', describeDeclared(declared), { contentSha256: value });
  return { ok: true, payloadHash: value, declared };
}

function describeDeclared(declared: DeclaredPayload): string {
  switch (declared.type) {
    case 'sha256':
      return 'the body must hash to x-amz-content-sha256 (checked while it streams)';
    case 'unsigned':
      return 'UNSIGNED-PAYLOAD: the body is not covered by the signature';
    case 'streaming-signed':
      return `aws-chunked body, every chunk signed${declared.trailer ? ', with a signed trailer' : ''}`;
    case 'streaming-unsigned-trailer':
      return 'aws-chunked body, chunks unsigned, checksum in a trailer';
  }
}

function toPayloadMode(declared: DeclaredPayload, signingKey: Buffer, amzDate: string, credential: Credential, seedSignature: string): PayloadMode {
  if (declared.type !== 'streaming-signed') return declared;
  return {
    type: 'streaming-signed',
    trailer: declared.trailer,
    signing: { signingKey, amzDate, scope: credential.scope, seedSignature },
  };
}
