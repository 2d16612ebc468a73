/** Tokens and contexts for the SigV4 and auth unit tests. */
import type { Token } from '../../../src/access/types.ts';
import type { SignableRequest, VerifyContext } from '../../../src/auth/types.ts';

/** The credentials of the AWS S3 documentation examples (reference §7). */
export const DOC_KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

export function makeToken(accessKeyId: string, secretAccessKey: string, overrides: Partial<Token> = {}): Token {
  return {
    accessKeyId,
    secretAccessKey,
    name: 'test',
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

export function contextFor(tokens: Token[], now: Date, region = 'us-east-1'): VerifyContext {
  return { now, region, lookupToken: (id) => tokens.find((t) => t.accessKeyId === id) };
}

/** A SignableRequest from a URL path+query and single-valued headers (names lower-cased). */
export function requestOf(method: string, target: string, headers: Record<string, string | string[]>): SignableRequest {
  const q = target.indexOf('?');
  return {
    method,
    rawPath: q === -1 ? target : target.slice(0, q),
    rawQuery: q === -1 ? '' : target.slice(q + 1),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]])),
  };
}

/** Splits a full URL into a SignableRequest target (path + query), keeping the raw bytes. */
export function targetOf(url: string): string {
  const m = /^https?:\/\/[^/?#]*([^#]*)/.exec(url);
  if (!m) throw new Error(`bad url ${url}`);
  return m[1] || '/';
}
