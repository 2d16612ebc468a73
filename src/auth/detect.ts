/**
 * Which authentication mechanism a request uses (reference s3-auth.md §1.1, §1.11, rows 15, 17).
 *
 *   Authorization: AWS4-HMAC-SHA256 …                       sigv4-header
 *   Authorization: AWS AKID:sig                             sigv2-header
 *   ?X-Amz-Algorithm / X-Amz-Credential / X-Amz-Signature,
 *    or X-Amz-Date with X-Amz-SignedHeaders                 sigv4-query
 *   ?AWSAccessKeyId / Signature                             sigv2-query
 *   none of these                                           anonymous
 *
 * Two or more of (Authorization header, v4 query, v2 query) is refused, as is an
 * Authorization header of another scheme. Query names are matched exactly as AWS spells them.
 */
import { AUTHORIZATION_V2_PREFIX, AUTHORIZATION_V4_PREFIX, HEADER, QUERY } from '../sigv4/constants.ts';
import { hasQueryParam, parseRawQuery, type QueryParam } from '../sigv4/query.ts';
import type { AuthFailure, AuthKind, SignableRequest, VerificationStep } from './types.ts';

export type DetectedKind = Extract<AuthKind, 'sigv4-header' | 'sigv4-query' | 'sigv2-header' | 'sigv2-query' | 'anonymous'>;

export type Detection =
  | { ok: true; kind: DetectedKind; step: VerificationStep }
  | { ok: false; failure: AuthFailure; step: VerificationStep };

const V2_QUERY_PARAMS = ['AWSAccessKeyId', 'Signature'];

function hasV4Query(params: readonly QueryParam[]): boolean {
  return (
    [QUERY.algorithm, QUERY.credential, QUERY.signature].some((name) => hasQueryParam(params, name)) ||
    (hasQueryParam(params, QUERY.date) && hasQueryParam(params, QUERY.signedHeaders))
  );
}

const DESCRIPTIONS: Record<DetectedKind, string> = {
  'sigv4-header': 'SigV4, Authorization header',
  'sigv4-query': 'SigV4, presigned URL',
  'sigv2-header': 'SigV2, Authorization header',
  'sigv2-query': 'SigV2, presigned URL',
  anonymous: 'no credentials (anonymous)',
};

export function detectAuthMechanism(req: SignableRequest): Detection {
  const authorization = req.headers[HEADER.authorization]?.[0];
  const params = parseRawQuery(req.rawQuery);
  const found = [
    authorization !== undefined ? 'Authorization header' : undefined,
    hasV4Query(params) ? 'X-Amz-* query parameters (SigV4)' : undefined,
    V2_QUERY_PARAMS.some((name) => hasQueryParam(params, name)) ? 'AWSAccessKeyId/Signature query parameters (SigV2)' : undefined,
  ].filter((m): m is string => m !== undefined);
  const detail = { mechanisms: found.join(', ') || '(none)' };

  if (found.length > 1) {
    // Without an Authorization header S3's ArgumentValue is UNVERIFIED; signet sends it empty.
    return refuse('MultipleAuthMechanisms', `more than one auth mechanism: ${found.join(' and ')}`, authorization ?? '', detail);
  }
  if (authorization !== undefined) {
    if (authorization.startsWith(AUTHORIZATION_V4_PREFIX)) return accept('sigv4-header', detail);
    if (authorization.startsWith(AUTHORIZATION_V2_PREFIX)) return accept('sigv2-header', detail);
    const scheme = authorization.split(' ')[0];
    return refuse('UnsupportedAuthorizationType', `the Authorization scheme "${scheme}" is neither AWS4-HMAC-SHA256 nor AWS`, authorization, detail);
  }
  if (found.length === 1) return accept(hasV4Query(params) ? 'sigv4-query' : 'sigv2-query', detail);
  return accept('anonymous', detail);
}

function accept(kind: DetectedKind, detail: Record<string, string>): Detection {
  return { ok: true, kind, step: { name: 'detect', ok: true, summary: DESCRIPTIONS[kind], detail: { ...detail, kind } } };
}

function refuse(
  reason: 'MultipleAuthMechanisms' | 'UnsupportedAuthorizationType',
  summary: string,
  authorization: string,
  detail: Record<string, string>,
): Detection {
  return {
    ok: false,
    failure: { reason, elements: { ArgumentName: 'Authorization', ArgumentValue: authorization } },
    step: { name: 'detect', ok: false, summary, detail },
  };
}
