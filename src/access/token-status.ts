/**
 * Whether a token may be used at all at `now`, as one verification step. Shared by every
 * mechanism (SigV4, SigV2, POST) so that revocation and expiry mean the same everywhere.
 *
 * Unknown, revoked and expired tokens are all answered as S3 answers an access key that does
 * not exist (403 InvalidAccessKeyId, reference s3-auth.md §6.3), but keep their own reason.
 */
import type { AuthFailure, VerificationStep } from '../auth/types.ts';
import type { Token } from './types.ts';

export type TokenCheck =
  | { ok: true; token: Token; step: VerificationStep }
  | { ok: false; failure: AuthFailure; step: VerificationStep };

export function checkTokenStatus(accessKeyId: string, token: Token | undefined, now: Date): TokenCheck {
  const elements = { AWSAccessKeyId: accessKeyId };
  if (!token) {
    return {
      ok: false,
      failure: { reason: 'AccessKeyUnknown', elements },
      step: { name: 'token', ok: false, summary: `no token has the access key id ${accessKeyId}`, detail: { accessKeyId } },
    };
  }
  const detail = describeToken(token);
  if (token.revokedAt) {
    return {
      ok: false,
      failure: { reason: 'TokenRevoked', elements },
      step: { name: 'token', ok: false, summary: `token "${token.name}" was revoked at ${token.revokedAt}`, detail },
    };
  }
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) {
    return {
      ok: false,
      failure: { reason: 'TokenExpired', elements },
      step: { name: 'token', ok: false, summary: `token "${token.name}" expired at ${token.expiresAt}`, detail },
    };
  }
  return { ok: true, token, step: { name: 'token', ok: true, summary: `token "${token.name}" is active`, detail } };
}

/** A token as shown in a trace: never the secret. */
export function describeToken(token: Token): Record<string, string> {
  return {
    accessKeyId: token.accessKeyId,
    name: token.name,
    access: token.access,
    buckets: token.buckets.length ? token.buckets.join(', ') : '(all)',
    prefix: token.prefix ?? '(any)',
    expiresAt: token.expiresAt ?? '(never)',
    revokedAt: token.revokedAt ?? '(not revoked)',
  };
}
