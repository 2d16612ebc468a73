/**
 * SigV4 presigned URLs (reference s3-auth.md §2, check order §6.4):
 *
 *   parse -> scope -> token -> session token -> signed-headers -> time -> payload
 *         -> canonical-request -> string-to-sign -> signature
 *
 *   ?X-Amz-Algorithm=AWS4-HMAC-SHA256
 *   &X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request
 *   &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
 *   &X-Amz-Signature=<64 hex>          (the only parameter left out of the canonical query)
 */
import type { SignableRequest, VerifyContext, VerifyResult } from '../auth/types.ts';
import { PRESIGN_FUTURE_TOLERANCE_MS, QUERY, S3_SERVICE } from './constants.ts';
import { createCanonicalQuery, splitSignedHeaders } from './canonical-request.ts';
import { parseCredential, parsePresignedQuery, type PresignedQuery } from './parse.ts';
import { presignedPayloadHash, type PresignedPayload } from './payload.ts';
import { parseRawQuery } from './query.ts';
import { computeSignature } from './signature.ts';
import { deriveSigningKey } from './signing-key.ts';
import { formatErrorTime } from './time.ts';
import { checkSecurityToken, checkSignedHeaders, checkToken, compareSignature, Trace, type SigV4VerifyOptions } from './verify-steps.ts';

export function verifyPresignedUrl(req: SignableRequest, ctx: VerifyContext, options: SigV4VerifyOptions = {}): VerifyResult {
  const trace = new Trace('sigv4-query');
  const service = options.service ?? S3_SERVICE;

  const params = parseRawQuery(req.rawQuery);
  const query = parsePresignedQuery(params);
  if (!query.ok) return trace.failParse('parse', query);
  trace.pass('parse', 'the URL carries the six X-Amz-* parameters, well formed', {
    algorithm: query.value.algorithm,
    credential: query.value.credential,
    amzDate: query.value.amzDate,
    expires: query.value.expiresRaw,
    signedHeaders: query.value.signedHeaders,
  });

  const scopeDetail = { credential: query.value.credential, serverRegion: ctx.region, expectedService: service };
  const credential = parseCredential(
    query.value.credential,
    { requestShortDate: query.value.amzDate.slice(0, 8), region: ctx.region, service },
    'query',
  );
  if (!credential.ok) return trace.failParse('scope', credential, scopeDetail);
  const { accessKeyId } = credential.value;
  trace.accessKeyId = accessKeyId;
  trace.pass('scope', `credential scope ${credential.value.scope} matches this server`, scopeDetail);

  const token = checkToken(trace, accessKeyId, ctx);
  if (!token.ok) return token.result;

  const badSessionToken = checkSecurityToken(trace, params, req.headers);
  if (badSessionToken) return badSessionToken;

  const signedNames = splitSignedHeaders(query.value.signedHeaders);
  const unsigned = checkSignedHeaders(trace, req.headers, signedNames);
  if (unsigned) return unsigned;

  const outOfWindow = checkWindow(trace, query.value, ctx.now);
  if (outOfWindow) return outOfWindow;

  const payload = readPayload(trace, presignedPayloadHash(params, req.headers, signedNames), options);

  const signingKey = deriveSigningKey(token.token.secretAccessKey, credential.value.date, ctx.region, service);
  const computed = computeSignature({
    method: req.method,
    rawPath: req.rawPath,
    canonicalQuery: createCanonicalQuery(req.rawQuery, { exclude: [QUERY.signature] }),
    headers: req.headers,
    signedHeaders: query.value.signedHeaders,
    payloadHash: payload.payloadHash,
    amzDate: query.value.amzDate,
    credentialScope: credential.value.scope,
    signingKey,
  });
  const mismatch = compareSignature(trace, accessKeyId, computed, query.value.signature);
  if (mismatch) return mismatch;

  return trace.succeed(token.token, payload.declared);
}

/**
 * Valid from X-Amz-Date (less a tolerance for client clocks ahead of ours) until
 * X-Amz-Date + X-Amz-Expires inclusive; X-Amz-Expires=0 is always expired (§2.3, §2.4).
 */
function checkWindow(trace: Trace, query: PresignedQuery, now: Date): VerifyResult | undefined {
  const signedAtMs = query.signedAt.getTime();
  const expiresAt = new Date(signedAtMs + query.expiresSeconds * 1000);
  const detail: Record<string, string> = {
    signedAt: formatErrorTime(query.signedAt),
    expiresIn: `${query.expiresSeconds} s`,
    expiresAt: formatErrorTime(expiresAt),
    serverNow: formatErrorTime(now),
  };
  if (signedAtMs - now.getTime() > PRESIGN_FUTURE_TOLERANCE_MS) {
    const ahead = Math.round((signedAtMs - now.getTime()) / 1000);
    return trace.fail(
      'time',
      `the URL was signed for ${detail.signedAt}, ${ahead} s after the server's ${detail.serverNow}: not yet valid`,
      {
        reason: 'RequestNotYetValid',
        // S3 really sends X-Amz-Date here as epoch milliseconds (AWS-OBS, §2.4).
        elements: { 'X-Amz-Date': String(signedAtMs), Expires: detail.expiresAt, ServerTime: detail.serverNow },
      },
      { ...detail, notValidForSeconds: String(ahead) },
    );
  }
  if (query.expiresSeconds === 0 || now.getTime() > expiresAt.getTime()) {
    const ago = Math.max(0, Math.round((now.getTime() - expiresAt.getTime()) / 1000));
    return trace.fail(
      'time',
      query.expiresSeconds === 0
        ? 'X-Amz-Expires is 0: the URL expired as it was signed'
        : `the URL expired at ${detail.expiresAt}, ${ago} s before the server's ${detail.serverNow}`,
      {
        reason: 'RequestExpired',
        elements: { 'X-Amz-Expires': query.expiresRaw, Expires: detail.expiresAt, ServerTime: detail.serverNow },
      },
      { ...detail, expiredAgoSeconds: String(ago) },
    );
  }
  const left = Math.floor((expiresAt.getTime() - now.getTime()) / 1000);
  trace.pass('time', `valid until ${detail.expiresAt}, ${left} s from the server's ${detail.serverNow}`, {
    ...detail,
    secondsLeft: String(left),
  });
  return undefined;
}

function readPayload(trace: Trace, payload: PresignedPayload, options: SigV4VerifyOptions): PresignedPayload {
  if (payload.source === 'default' && options.bodySha256 !== undefined) {
    const generic: PresignedPayload = {
      payloadHash: options.bodySha256,
      source: 'default',
      declared: { type: 'sha256', expectedHex: options.bodySha256 },
    };
    trace.pass('payload', 'generic SigV4: the body hash is the payload line', { payloadHash: options.bodySha256 });
    return generic;
  }
  const summary =
    payload.source === 'default'
      ? 'UNSIGNED-PAYLOAD: a presigned URL does not cover the body'
      : `the payload line is ${payload.payloadHash}, from the ${payload.source === 'query' ? 'X-Amz-Content-Sha256 parameter' : 'signed x-amz-content-sha256 header'}${payload.declared.type === 'sha256' ? ': the body must hash to it' : ''}`;
  trace.pass('payload', summary, { payloadHash: payload.payloadHash });
  return payload;
}
