/**
 * POST policy types (reference s3-auth.md §5.3). Pure.
 *
 * A policy document, once decoded from base64:
 *
 *   { "expiration": "2015-12-30T12:00:00.000Z",
 *     "conditions": [
 *       {"bucket": "sigv4examplebucket"},              exact, object form   -> eq
 *       ["eq", "$acl", "public-read"],                 exact, array form    -> eq
 *       ["starts-with", "$key", "user/user1/"],        prefix               -> starts-with
 *       ["content-length-range", 1, 10485760]          file size, inclusive -> content-length-range
 *     ] }
 *
 * Conditions are normalised at parse time into the closed union below, so evaluation is one
 * exhaustive `switch`.
 */
import type { ErrorReason } from '../http/s3-errors.ts';

/**
 * `field` is the form field's name lower-cased and without its '$' (field names are
 * case-insensitive, §5.1). `source` is the condition as AWS prints it in "Policy Condition
 * failed: …", with names and values as written in the policy: `["eq", "$acl", "public-read"]`.
 */
export type Condition =
  | { op: 'eq'; field: string; value: string; source: string }
  | { op: 'starts-with'; field: string; value: string; source: string }
  | { op: 'content-length-range'; min: number; max: number; source: string };

export interface PostPolicy {
  expiration: Date;
  conditions: Condition[];
}

/**
 * A POST failure. Policy failures are not authentication reasons (AuthFailureReason), so the
 * reason is any ErrorReason; src/http/s3-errors.ts maps it to status, Code and Message.
 * `message` overrides the catalogue where S3's text embeds values from the request or policy.
 */
export interface PolicyFailure {
  reason: ErrorReason;
  message?: string;
  elements: Record<string, string>;
}
