/**
 * Whether an authenticated, active token may do what the request asks: the 'authorize' step,
 * after the signature has been verified (reference s3-auth.md §6, row 51: 403 AccessDenied).
 *
 *   root token                 anything
 *   access                     'read' reads, 'write' writes, 'read-write' both;
 *                              every token may list buckets (the list is filtered to its buckets)
 *   buckets (non-empty list)   the request's bucket must be in it
 *   prefix (non-null)          the key must start with it; for a listing, the listing prefix
 *                              must (so a token never sees a key outside its prefix)
 *   admin                      CreateBucket, DeleteBucket, PutBucketCors: see {@link mayManageBucket}
 *
 * Pure: expiry and revocation are checked earlier by checkTokenStatus.
 */
import type { AuthFailure, VerificationStep } from '../auth/types.ts';
import { describeToken } from './token-status.ts';
import type { AccessRequest, Token } from './types.ts';

export type AuthorizeResult =
  | { ok: true; step: VerificationStep }
  | { ok: false; failure: AuthFailure; step: VerificationStep };

export function authorize(token: Token, request: AccessRequest): AuthorizeResult {
  const denial = findDenial(token, request);
  const detail = { ...describeToken(token), ...describeRequest(request) };
  if (denial) {
    return {
      ok: false,
      failure: { reason: 'ScopeDenied', elements: {} },
      step: { name: 'authorize', ok: false, summary: denial, detail },
    };
  }
  return { ok: true, step: { name: 'authorize', ok: true, summary: describeGrant(token, request), detail } };
}

/** The reason the token may not make this request, or undefined when it may. */
function findDenial(token: Token, request: AccessRequest): string | undefined {
  if (token.root) return undefined;
  const name = JSON.stringify(token.name);
  switch (request.action) {
    case 'list-buckets':
      return undefined;
    case 'read':
      if (token.access === 'write') return `token ${name} is write-only; a read needs read access`;
      break;
    case 'write':
      if (token.access === 'read') return `token ${name} is read-only; a write needs write access`;
      break;
    case 'admin':
      if (!mayManageBucket(token, request.bucket)) {
        return (
          `token ${name} may not create, delete or configure bucket ${JSON.stringify(request.bucket ?? '')}: ` +
          'that needs the root token, or a token with write access, no prefix, and the bucket named in its bucket list'
        );
      }
      return undefined;
  }
  return bucketDenial(token, request.bucket) ?? prefixDenial(token, request.key);
}

/**
 * Managing a bucket changes it for every holder of every token, so a scoped token may do it
 * only when it was explicitly granted that bucket by name (a token with an empty list, "all
 * buckets", may not create or delete any), may write, and is not confined to a prefix (a
 * bucket-wide change reaches keys outside the prefix).
 */
export function mayManageBucket(token: Token, bucket: string | undefined): boolean {
  if (token.root) return true;
  return (
    bucket !== undefined &&
    token.access !== 'read' &&
    token.prefix === null &&
    token.buckets.includes(bucket)
  );
}

function bucketDenial(token: Token, bucket: string | undefined): string | undefined {
  if (token.buckets.length === 0) return undefined;
  if (bucket === undefined) return `the request names no bucket and token ${JSON.stringify(token.name)} is limited to ${listBuckets(token)}`;
  if (token.buckets.includes(bucket)) return undefined;
  return `bucket ${JSON.stringify(bucket)} is not in the buckets of token ${JSON.stringify(token.name)} (${listBuckets(token)})`;
}

/**
 * A request without a key (HeadBucket, GetBucketCors...) concerns the whole bucket, which is
 * outside any prefix: like an IAM grant on "bucket/prefix/*", a prefix token may not make it.
 */
function prefixDenial(token: Token, key: string | undefined): string | undefined {
  if (token.prefix === null || token.prefix === '') return undefined;
  const prefix = JSON.stringify(token.prefix);
  if (key === undefined) return `the request is for the whole bucket, outside the token prefix ${prefix}`;
  if (key.startsWith(token.prefix)) return undefined;
  return `key ${JSON.stringify(key)} is outside the token prefix ${prefix}`;
}

function describeGrant(token: Token, request: AccessRequest): string {
  const who = `token ${JSON.stringify(token.name)}`;
  if (token.root) return `${who} is the root token`;
  switch (request.action) {
    case 'list-buckets':
      return `${who} may list buckets`;
    case 'admin':
      return `${who} may manage bucket ${JSON.stringify(request.bucket)}`;
    default:
      return `${who} may ${request.action} ${JSON.stringify(target(request))}`;
  }
}

function describeRequest(request: AccessRequest): Record<string, string> {
  const detail: Record<string, string> = { action: request.action };
  if (request.bucket !== undefined) detail.bucket = request.bucket;
  if (request.key !== undefined) detail.key = request.key;
  return detail;
}

function target(request: AccessRequest): string {
  if (request.bucket === undefined) return request.key ?? '';
  return request.key === undefined ? request.bucket : `${request.bucket}/${request.key}`;
}

function listBuckets(token: Token): string {
  return token.buckets.map((bucket) => JSON.stringify(bucket)).join(', ');
}
