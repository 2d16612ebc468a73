/**
 * Checks a parsed POST policy against the form (reference s3-auth.md §5.3-5.4, §5.7 steps 8-10):
 *
 *   1. expiration   now > expiration                      -> "Policy expired."
 *   2. conditions   in policy order, first failure wins   -> "Policy Condition failed: [...]"
 *   3. coverage     every form field named by a condition -> "Extra input fields: <name>"
 *
 * `fields` are the form fields that came before the file: names lower-cased (they are
 * case-insensitive), repeated names joined with ',' ([S3-V2FORM]: the policy sees
 * "Ninja,Stallman"), and `${filename}` already expanded (see expandFilename: AWS checks
 * conditions after expansion). Values are compared case-sensitively and exactly.
 *
 * `content-length-range` needs the file's size, which is known only after streaming it; it is
 * not checked here (see contentLengthRange).
 */
import { normalizeFormFields } from './form-fields.ts';
import { invalidAccordingToPolicy } from './policy-messages.ts';
import type { Condition, PolicyFailure, PostPolicy } from './types.ts';

export type EvaluatePolicyResult = { ok: true } | { ok: false; failure: PolicyFailure };

export interface EvaluatePolicyOptions {
  now: Date;
  /** The bucket the form was posted to (from the URL): the only value `bucket` conditions see. */
  bucket: string;
}

/**
 * Fields that no condition needs to name. [S3-POSTPOL] lists x-amz-signature, file, policy and
 * x-ignore-*; [S3-V2FORM] lists AWSAccessKeyId, signature, file, policy and x-ignore-*. Both
 * lists apply to either signature version (a stray SigV2 field in a SigV4 form is not signed
 * content either way).
 */
const COVERAGE_EXEMPT = new Set(['x-amz-signature', 'signature', 'awsaccesskeyid', 'file', 'policy']);
const COVERAGE_EXEMPT_PREFIX = 'x-ignore-';

/**
 * Fields whose conditions may use starts-with, from the condition-matching tables of
 * [S3-POSTPOL]/[S3-V2FORM] (reference §5.3). Any other field (success_action_status, the
 * x-amz-algorithm/credential/date fields, a custom `utf8`…) is exact-only, and a starts-with
 * on it fails. AWS-OBS: `["starts-with", "$utf8", ""]` (waynehoover/s3_direct_upload#221) and
 * `["starts-with", "$Content-Length", ""]` (asafdav/ng-s3upload#28) both failed on S3.
 */
const STARTS_WITH_FIELDS = new Set([
  'acl',
  'bucket',
  'key',
  'success_action_redirect',
  'redirect',
  'cache-control',
  'content-type',
  'content-disposition',
  'content-encoding',
  'expires',
]);

export function evaluatePolicy(
  policy: PostPolicy,
  fields: ReadonlyMap<string, string>,
  { now, bucket }: EvaluatePolicyOptions,
): EvaluatePolicyResult {
  if (now.getTime() > policy.expiration.getTime()) return { ok: false, failure: invalidAccordingToPolicy.expired() };
  const form = normalizeFormFields(fields);
  for (const condition of policy.conditions) {
    if (!conditionHolds(condition, form, bucket)) {
      return { ok: false, failure: invalidAccordingToPolicy.conditionFailed(condition.source) };
    }
  }
  const uncovered = findUncoveredField(policy, form);
  if (uncovered !== undefined) return { ok: false, failure: invalidAccordingToPolicy.extraInputFields(uncovered) };
  return { ok: true };
}

function conditionHolds(condition: Condition, fields: ReadonlyMap<string, string>, bucket: string): boolean {
  switch (condition.op) {
    case 'eq': {
      const value = fieldValue(condition.field, fields, bucket);
      return value !== undefined && value === condition.value;
    }
    case 'starts-with': {
      if (!allowsStartsWith(condition.field)) return false;
      // "Matching any content": an empty prefix accepts any value, and an absent field (§5.3).
      if (condition.value === '') return true;
      const value = fieldValue(condition.field, fields, bucket);
      return value !== undefined && startsWith(condition.field, value, condition.value);
    }
    case 'content-length-range':
      return true;
  }
}

/** `bucket` is the request's bucket whether or not the form has a `bucket` field (§5.3). */
function fieldValue(field: string, fields: ReadonlyMap<string, string>, bucket: string): string | undefined {
  return field === 'bucket' ? bucket : fields.get(field);
}

function allowsStartsWith(field: string): boolean {
  return STARTS_WITH_FIELDS.has(field) || field.startsWith('x-amz-meta-');
}

/**
 * A Content-Type may list several types ("image/jpeg, image/png"); each must match the prefix,
 * so that a form cannot smuggle a type outside it after a comma. UNVERIFIED (reference §5.3:
 * kumo, versitygw). Commas in other fields are ordinary characters.
 */
function startsWith(field: string, value: string, prefix: string): boolean {
  if (field !== 'content-type') return value.startsWith(prefix);
  return value.split(',').every((type) => type.trim().startsWith(prefix));
}

/** The first form field, in form order, that no eq/starts-with condition names. */
function findUncoveredField(policy: PostPolicy, fields: ReadonlyMap<string, string>): string | undefined {
  const covered = new Set<string>();
  for (const condition of policy.conditions) {
    if (condition.op !== 'content-length-range') covered.add(condition.field);
  }
  for (const name of fields.keys()) {
    if (COVERAGE_EXEMPT.has(name) || name.startsWith(COVERAGE_EXEMPT_PREFIX)) continue;
    if (!covered.has(name)) return name;
  }
  return undefined;
}

/**
 * The inclusive byte range the file must fall in, for the upload stream to enforce
 * (EntityTooSmall / EntityTooLarge, §5.3). Several ranges all apply, so they intersect.
 * Undefined when the policy has none.
 */
export function contentLengthRange(policy: PostPolicy): { min: number; max: number } | undefined {
  let range: { min: number; max: number } | undefined;
  for (const condition of policy.conditions) {
    if (condition.op !== 'content-length-range') continue;
    range = range
      ? { min: Math.max(range.min, condition.min), max: Math.min(range.max, condition.max) }
      : { min: condition.min, max: condition.max };
  }
  return range;
}

/**
 * `${filename}` in a form value becomes the uploaded file's name, only the part after the last
 * '/' or '\' ([S3-V2FORM]: "If the browser or client provides a full or partial path to the
 * file, only the text following the last slash (/) or backslash (\) will be used").
 *
 * `filename` undefined means the file part had no filename (a `file` sent as a plain field):
 * AWS then kept the literal `${filename}` in the key (AWS-OBS [LS-SNAP]), although the
 * documentation says it becomes empty; we follow the observation.
 */
export function resolveKey(value: string, filename: string | undefined): string {
  if (filename === undefined || !value.includes('${filename}')) return value;
  const basename = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  // A function replacement: a filename may contain "$&" and the like.
  return value.replaceAll('${filename}', () => basename);
}

/**
 * Applies resolveKey to every field: `${filename}` "is recognized by all form fields"
 * ([S3-V2FORM] DOC), not only `key`. Conditions are evaluated on the result.
 */
export function expandFilename(fields: ReadonlyMap<string, string>, filename: string | undefined): Map<string, string> {
  const expanded = new Map<string, string>();
  for (const [name, value] of fields) expanded.set(name, resolveKey(value, filename));
  return expanded;
}
