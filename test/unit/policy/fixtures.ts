/**
 * Shared fixtures for the POST policy tests: the AWS documentation's SigV4 POST example
 * (reference s3-auth.md §7.4, [S3-POSTEX]) and small builders.
 */
import type { Token } from '../../../src/access/types.ts';
import { parsePolicy } from '../../../src/policy/parse-policy.ts';
import type { PostPolicy } from '../../../src/policy/types.ts';
import type { VerifyPostContext } from '../../../src/policy/verify-post.ts';

export const EXAMPLE_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** The base64 policy of the AWS example, the string to sign (648 bytes of CRLF JSON decoded). */
export const EXAMPLE_POLICY =
  'eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9';
export const EXAMPLE_SIGNATURE = '8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e';
export const EXAMPLE_BUCKET = 'sigv4examplebucket';
export const EXAMPLE_CREDENTIAL = 'AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request';
/** Half a day before the example policy's expiration (2015-12-30T12:00:00.000Z). */
export const EXAMPLE_NOW = new Date('2015-12-29T12:00:00Z');

/**
 * The form of the example, as the HTTP layer hands it over: names lower-cased (the page sends
 * `X-Amz-Credential`, `Policy`, `Content-Type`…), fields before the file, in form order.
 */
export function exampleForm(): Map<string, string> {
  return new Map([
    ['key', 'user/user1/${filename}'],
    ['acl', 'public-read'],
    ['success_action_redirect', 'http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html'],
    ['content-type', 'image/jpeg'],
    ['x-amz-meta-uuid', '14365123651274'],
    ['x-amz-server-side-encryption', 'AES256'],
    ['x-amz-credential', EXAMPLE_CREDENTIAL],
    ['x-amz-algorithm', 'AWS4-HMAC-SHA256'],
    ['x-amz-date', '20151229T000000Z'],
    ['x-amz-meta-tag', ''],
    ['policy', EXAMPLE_POLICY],
    ['x-amz-signature', EXAMPLE_SIGNATURE],
  ]);
}

export function makeToken(overrides: Partial<Token> = {}): Token {
  return {
    accessKeyId: EXAMPLE_ACCESS_KEY_ID,
    secretAccessKey: EXAMPLE_SECRET,
    name: 'example',
    access: 'read-write',
    buckets: [],
    prefix: null,
    expiresAt: null,
    revokedAt: null,
    createdAt: '2015-01-01T00:00:00Z',
    root: false,
    ...overrides,
  };
}

/** A context whose token store holds exactly `tokens`. */
export function makeContext(overrides: Partial<VerifyPostContext> = {}, tokens: Token[] = [makeToken()]): VerifyPostContext {
  return {
    now: EXAMPLE_NOW,
    region: 'us-east-1',
    bucket: EXAMPLE_BUCKET,
    filename: 'photo.jpg',
    lookupToken: (id) => tokens.find((t) => t.accessKeyId === id),
    ...overrides,
  };
}

export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** A policy document as JSON text, base64-encoded. */
export function encodePolicy(doc: unknown): string {
  return base64(JSON.stringify(doc));
}

export const FAR_FUTURE = '2099-01-01T00:00:00Z';

/** Parses a policy that is expected to be valid, with the given conditions. */
export function policyWith(conditions: unknown[], expiration = FAR_FUTURE): PostPolicy {
  const parsed = parsePolicy(encodePolicy({ expiration, conditions }));
  if (!parsed.ok) throw new Error(`fixture policy is invalid: ${parsed.failure.message}`);
  return parsed.policy;
}
