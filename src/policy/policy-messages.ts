/**
 * Every failure the POST code can produce, with S3's wording where it is known and our choice
 * where it is not (marked UNVERIFIED). Kept in one place so that a better-sourced wording is a
 * one-line change. Reference s3-auth.md §5 and §6.2 rows 12, 20, 34-47.
 */
import type { PolicyFailure } from './types.ts';

/** Invalid policy document: 400 InvalidPolicyDocument. */
function invalidPolicy(message: string): PolicyFailure {
  return { reason: 'InvalidPolicyDocument', message, elements: {} };
}

export const invalidPolicyDocument = {
  /** AWS-OBS (row 44). */
  json: () => invalidPolicy('Invalid Policy: Invalid JSON.'),
  /**
   * UNVERIFIED: AWS's answer to a policy with a repeated key is unknown. We reject it as
   * MinIO does (`sanitizePolicy`): two `expiration`s or two values for one simple condition
   * make it ambiguous which one the signer meant.
   */
  duplicateKey: (key: string) => invalidPolicy(`Invalid Policy: Invalid JSON: duplicate key '${key}'.`),
  /** UNVERIFIED wording (versitygw's). */
  base64: () => invalidPolicy('Invalid Policy: invalid Base64 encoding.'),
  /** UNVERIFIED wording (versitygw's); s3-tests expect 400 for `EXPIRATION` instead of `expiration`. */
  missingExpiration: () => invalidPolicy('Invalid Policy: Policy missing expiration.'),
  /** AWS-OBS wording (row 46). */
  expiration: () => invalidPolicy("Invalid Policy: Invalid 'expiration' value"),
  /** UNVERIFIED wording (versitygw's); s3-tests expect 400 for `CONDITIONS`. */
  missingConditions: () => invalidPolicy('Invalid Policy: Policy missing conditions.'),
  /** UNVERIFIED wording (versitygw's). */
  conditionsNotList: () => invalidPolicy("Invalid Policy: Invalid 'conditions' value: must be a List."),
  /** UNVERIFIED: whether AWS rejects unknown top-level keys; versitygw does. */
  unexpectedKey: (key: string) => invalidPolicy(`Invalid Policy: Unexpected field '${key}'.`),
  /** UNVERIFIED wording. */
  conditionShape: () => invalidPolicy('Invalid Policy: Invalid Condition: must be a List or Object.'),
  /** AWS-OBS (row 45). */
  simpleConditionProperties: () =>
    invalidPolicy('Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.'),
  /** UNVERIFIED wording (versitygw's; aws/aws-sdk-js#1518 paraphrases it). */
  simpleConditionValue: () => invalidPolicy('Invalid Policy: Invalid Simple-Condition: value must be a string.'),
  /** UNVERIFIED wording. */
  missingOperation: () => invalidPolicy('Invalid Policy: Invalid Condition: missing operation identifier.'),
  /** UNVERIFIED wording (versitygw's). */
  unknownOperation: (op: string) => invalidPolicy(`Invalid Policy: Invalid Condition: unknown operation '${op}'.`),
  /** UNVERIFIED wording (versitygw's); s3-tests expect 400 for a two-element range. */
  argumentCount: (op: string) => invalidPolicy(`Invalid Policy: Invalid ${op}: wrong number of arguments.`),
  /** UNVERIFIED wording. */
  fieldNotString: (op: string) => invalidPolicy(`Invalid Policy: Invalid ${op}: the field name must be a string.`),
  /** UNVERIFIED wording. */
  valueNotString: (op: string) => invalidPolicy(`Invalid Policy: Invalid ${op}: value must be a string.`),
  /** UNVERIFIED wording; s3-tests expect 400 for a negative minimum. */
  rangeBound: () => invalidPolicy('Invalid Policy: Invalid content-length-range: bounds must be non-negative integers.'),
};

/** 403 AccessDenied "Invalid according to Policy: …" (rows 34-36). */
export const invalidAccordingToPolicy = {
  expired: (): PolicyFailure => ({ reason: 'PolicyExpired', elements: {} }),
  conditionFailed: (source: string): PolicyFailure => ({
    reason: 'PolicyConditionFailed',
    message: `Invalid according to Policy: Policy Condition failed: ${source}`,
    elements: {},
  }),
  /** AWS names one uncovered field (reference §5.4), lower-cased. */
  extraInputFields: (name: string): PolicyFailure => ({
    reason: 'PolicyExtraInputFields',
    message: `Invalid according to Policy: Extra input fields: ${name}`,
    elements: {},
  }),
};

/** 400 InvalidArgument for the form itself (rows 12, 39). */
export const invalidPostArgument = {
  /** AWS-OBS, note the two spaces. `name` is capitalised as AWS prints it ('X-Amz-Algorithm', 'key'). */
  missingField: (name: string): PolicyFailure => ({
    reason: 'PostFieldMissing',
    message: `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
    elements: { ArgumentName: name, ArgumentValue: '' },
  }),
  /** AWS-OBS (row 12); `Region` is the region the server expects. */
  regionWrong: (credential: string, sent: string, expected: string): PolicyFailure => ({
    reason: 'PostRegionWrong',
    message: `the region '${sent}' is wrong; expecting '${expected}'`,
    elements: { ArgumentName: 'X-Amz-Credential', ArgumentValue: credential, Region: expected },
  }),
  /** UNVERIFIED wording (versitygw's POST wording; header/query forms are in §1.10). */
  credentialMalformed: (credential: string): PolicyFailure =>
    credentialArgument(credential, 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'),
  /** UNVERIFIED wording. */
  credentialDateMalformed: (credential: string, date: string): PolicyFailure =>
    credentialArgument(credential, `incorrect date format "${date}". This date in the credential must be in the format "yyyyMMdd".`),
  /** UNVERIFIED: whether AWS checks this for POST at all; wording from header auth (row 13). */
  credentialDateMismatch: (credential: string): PolicyFailure =>
    credentialArgument(credential, 'Invalid credential date. Date is not the same as X-Amz-Date.'),
  /** UNVERIFIED wording. */
  serviceWrong: (credential: string, service: string): PolicyFailure =>
    credentialArgument(credential, `incorrect service "${service}". This endpoint belongs to "s3".`),
  /** UNVERIFIED wording. */
  terminatorWrong: (credential: string, terminator: string): PolicyFailure =>
    credentialArgument(credential, `incorrect terminal "${terminator}". This endpoint uses "aws4_request".`),
};

function credentialArgument(credential: string, message: string): PolicyFailure {
  return { reason: 'InvalidArgument', message, elements: { ArgumentName: 'X-Amz-Credential', ArgumentValue: credential } };
}

/**
 * UNVERIFIED for POST: AWS's answers to a wrong `x-amz-algorithm` and an unparseable
 * `x-amz-date` in a form. We reuse the presigned-URL and header-auth answers.
 */
export const postAuthUnsupported = {
  algorithm: (): PolicyFailure => ({ reason: 'QueryAlgorithmUnsupported', elements: {} }),
  date: (): PolicyFailure => ({ reason: 'DateMalformed', elements: {} }),
};
