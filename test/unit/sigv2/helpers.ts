/** Requests, tokens and contexts for the SigV2 tests. */
import type { SignableRequest, VerifyContext, VerifyResult, AuthFailure } from '../../../src/auth/types.ts';
import type { Token } from '../../../src/access/types.ts';

/** The credentials of the AWS document's examples (reference s3-auth.md §7). */
export const AKID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

export function makeToken(overrides: Partial<Token> = {}): Token {
  return {
    accessKeyId: AKID,
    secretAccessKey: SECRET,
    name: 'example',
    access: 'read-write',
    buckets: [],
    prefix: null,
    expiresAt: null,
    revokedAt: null,
    createdAt: '2000-01-01T00:00:00Z',
    root: false,
    ...overrides,
  };
}

export function contextAt(now: string | Date, tokens: Token[] = [makeToken()]): VerifyContext {
  return {
    now: typeof now === 'string' ? new Date(now) : now,
    region: 'us-east-1',
    lookupToken: (id) => tokens.find((t) => t.accessKeyId === id),
  };
}

/**
 * A request from a request-target ("/bkt/k?acl") and headers given in any case, with repeated
 * values as arrays, as src/http/signable-request.ts captures them.
 */
export function request(
  method: string,
  target: string,
  headers: Record<string, string | string[]> = {},
  virtualHostBucket?: string,
): SignableRequest {
  const q = target.indexOf('?');
  const lower: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    (lower[name.toLowerCase()] ??= []).push(...(Array.isArray(value) ? value : [value]));
  }
  return {
    method,
    rawPath: q === -1 ? target : target.slice(0, q),
    rawQuery: q === -1 ? '' : target.slice(q + 1),
    headers: lower,
    virtualHostBucket,
  };
}

/** The failure of a result that must have failed (fails the test otherwise). */
export function failureOf(result: VerifyResult): AuthFailure {
  if (result.ok) throw new Error(`expected a failure, got success with steps ${JSON.stringify(result.steps)}`);
  return result.failure;
}

export function stepNamed(result: VerifyResult, name: string) {
  const step = result.steps.find((s) => s.name === name);
  if (!step) throw new Error(`no ${name} step in ${result.steps.map((s) => s.name).join(', ')}`);
  return step;
}
