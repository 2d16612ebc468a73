/**
 * Verifies a browser POST upload form (reference s3-auth.md §5.7, steps 3-10):
 *
 *   detect     key present; SigV4, SigV2 or nothing; the mechanism's fields all present
 *   parse      SigV4: algorithm, x-amz-date, credential scope and region
 *   token      the access key's token exists, is not revoked or expired
 *   signature  over the `policy` field exactly as received, before it is decoded: a tampered
 *              policy is SignatureDoesNotMatch with StringToSign = the policy text (AWS-OBS)
 *   policy     decode and parse the document
 *   policy     expiration, conditions, coverage, on the fields with `${filename}` expanded
 *
 * `fields` are the fields before the file (lower-case names, repeated names joined with ',').
 * `content-length-range` is left to the upload stream (contentLengthRange), and the token's
 * scope (bucket, prefix, access) to the HTTP layer's authorization.
 */
import type { AuthKind, VerificationStep, VerifyContext } from '../auth/types.ts';
import { checkTokenStatus } from '../access/token-status.ts';
import type { Token } from '../access/types.ts';
import { signaturesEqual } from '../sigv4/signing-key.ts';
import { evaluatePolicy, expandFilename } from './evaluate-policy.ts';
import { normalizeFormFields } from './form-fields.ts';
import { parsePolicy } from './parse-policy.ts';
import { calculatePolicySignatureV2, calculatePolicySignatureV4, formatStringToSignBytes } from './policy-signature.ts';
import { detectPostAuth, hasField, parseSigV4PostCredential, type PostAuthKind } from './post-form-auth.ts';
import type { PolicyFailure, PostPolicy } from './types.ts';

export interface VerifyPostContext extends VerifyContext {
  /** The bucket posted to, from the URL. */
  bucket: string;
  /** The file part's filename; undefined when `file` came as a plain field (no filename). */
  filename?: string;
}

export type VerifyPostResult =
  | {
      ok: true;
      kind: PostAuthKind;
      accessKeyId: string;
      token: Token;
      policy: PostPolicy;
      /** The object key, `${filename}` expanded. */
      key: string;
      /** The form fields with `${filename}` expanded, as the policy saw them. */
      fields: Map<string, string>;
      steps: VerificationStep[];
    }
  | { ok: false; kind: AuthKind; accessKeyId?: string; failure: PolicyFailure; steps: VerificationStep[] };

/** What the signature step needs, whichever the version. */
interface SignedForm {
  accessKeyId: string;
  policy: string;
  signatureProvided: string;
  expectedSignature(secretAccessKey: string): string;
}

export function verifyPostForm(received: ReadonlyMap<string, string>, ctx: VerifyPostContext): VerifyPostResult {
  const fields = normalizeFormFields(received);
  const steps: VerificationStep[] = [];
  const detection = detectPostAuth(fields);
  if (!detection.ok) {
    steps.push(step('detect', false, describeFailure(detection.failure), { mechanism: detection.kind }));
    return { ok: false, kind: detection.kind, failure: detection.failure, steps };
  }
  const { kind } = detection;
  steps.push(step('detect', true, `${kind === 'post-sigv4' ? 'SigV4' : 'SigV2'} POST form`, { mechanism: kind, fields: [...fields.keys()].join(', ') }));

  const fail = (failure: PolicyFailure, accessKeyId?: string): VerifyPostResult => ({ ok: false, kind, accessKeyId, failure, steps });

  const parsed = kind === 'post-sigv4' ? parseSigV4Form(fields, ctx.region) : parseSigV2Form(fields);
  steps.push(parsed.step);
  if (!parsed.ok) return fail(parsed.failure);
  const form = parsed.form;

  const tokenCheck = checkTokenStatus(form.accessKeyId, ctx.lookupToken(form.accessKeyId), ctx.now);
  steps.push(tokenCheck.step);
  if (!tokenCheck.ok) return fail(tokenCheck.failure, form.accessKeyId);

  const signature = checkSignature(form, tokenCheck.token.secretAccessKey);
  steps.push(signature.step);
  if (signature.failure) return fail(signature.failure, form.accessKeyId);

  const checked = checkPolicy(form.policy, fields, ctx, steps);
  if (!checked.ok) return fail(checked.failure, form.accessKeyId);
  return { ok: true, kind, accessKeyId: form.accessKeyId, token: tokenCheck.token, steps, ...checked.value };
}

type PolicyCheck =
  | { ok: true; value: { policy: PostPolicy; key: string; fields: Map<string, string> } }
  | { ok: false; failure: PolicyFailure };

/** The two 'policy' steps: parse the document, then evaluate it on the expanded fields. */
function checkPolicy(text: string, fields: ReadonlyMap<string, string>, ctx: VerifyPostContext, steps: VerificationStep[]): PolicyCheck {
  const parsed = parsePolicy(text);
  if (!parsed.ok) {
    steps.push(step('policy', false, describeFailure(parsed.failure), {}));
    return parsed;
  }
  const { policy } = parsed;
  steps.push(step('policy', true, `policy document parsed: ${policy.conditions.length} conditions`, describePolicy(policy)));

  const expanded = expandFilename(fields, ctx.filename);
  const key = expanded.get('key') ?? '';
  const evaluation = evaluatePolicy(policy, expanded, { now: ctx.now, bucket: ctx.bucket });
  const detail = { now: ctx.now.toISOString(), expiration: policy.expiration.toISOString(), bucket: ctx.bucket, key };
  if (!evaluation.ok) {
    steps.push(step('policy', false, describeFailure(evaluation.failure), detail));
    return evaluation;
  }
  steps.push(step('policy', true, 'the form satisfies the policy: not expired, every condition holds, every field is covered', detail));
  return { ok: true, value: { policy, key, fields: expanded } };
}

type ParsedForm =
  | { ok: true; form: SignedForm; step: VerificationStep }
  | { ok: false; failure: PolicyFailure; step: VerificationStep };

function parseSigV4Form(fields: ReadonlyMap<string, string>, region: string): ParsedForm {
  const credential = fields.get('x-amz-credential') ?? '';
  const amzDate = fields.get('x-amz-date') ?? '';
  const algorithm = fields.get('x-amz-algorithm') ?? '';
  const detail = { algorithm, credential, amzDate, expectedRegion: region };
  const token = securityTokenFailure(fields);
  if (token) return { ok: false, failure: token, step: step('parse', false, describeFailure(token), detail) };
  const parsed = parseSigV4PostCredential(algorithm, credential, amzDate, region);
  if (!parsed.ok) return { ok: false, failure: parsed.failure, step: step('parse', false, describeFailure(parsed.failure), detail) };
  const { accessKeyId, date } = parsed.value;
  const form: SignedForm = {
    accessKeyId,
    policy: fields.get('policy') ?? '',
    signatureProvided: fields.get('x-amz-signature') ?? '',
    expectedSignature: (secret) => calculatePolicySignatureV4(secret, date, region, form.policy),
  };
  return { ok: true, form, step: step('parse', true, `credential scope ${date}/${region}/s3/aws4_request`, { ...detail, accessKeyId }) };
}

function parseSigV2Form(fields: ReadonlyMap<string, string>): ParsedForm {
  const accessKeyId = fields.get('awsaccesskeyid') ?? '';
  const token = securityTokenFailure(fields);
  if (token) return { ok: false, failure: token, step: step('parse', false, describeFailure(token), { accessKeyId }) };
  const form: SignedForm = {
    accessKeyId,
    policy: fields.get('policy') ?? '',
    signatureProvided: fields.get('signature') ?? '',
    expectedSignature: (secret) => calculatePolicySignatureV2(secret, form.policy),
  };
  return { ok: true, form, step: step('parse', true, 'SigV2 form: HMAC-SHA1 over the policy field', { accessKeyId }) };
}

/** signet issues no session tokens, so a form carrying one cannot be valid (row 32). */
function securityTokenFailure(fields: ReadonlyMap<string, string>): PolicyFailure | undefined {
  if (!hasField(fields, 'x-amz-security-token')) return undefined;
  return { reason: 'SecurityTokenInvalid', elements: { 'Token-0': fields.get('x-amz-security-token') ?? '' } };
}

function checkSignature(form: SignedForm, secretAccessKey: string): { step: VerificationStep; failure?: PolicyFailure } {
  const expected = form.expectedSignature(secretAccessKey);
  // Constant time: the provided signature must not be guessable byte by byte.
  const matches = signaturesEqual(expected, form.signatureProvided);
  const detail = { stringToSign: form.policy, signatureProvided: form.signatureProvided, signatureExpected: expected };
  if (matches) return { step: step('signature', true, 'the signature over the policy field matches', detail) };
  const failure: PolicyFailure = {
    reason: 'SignatureDoesNotMatch',
    elements: {
      AWSAccessKeyId: form.accessKeyId,
      StringToSign: form.policy,
      SignatureProvided: form.signatureProvided,
      StringToSignBytes: formatStringToSignBytes(form.policy),
    },
  };
  return { step: step('signature', false, 'the signature over the policy field does not match', detail), failure };
}

function describePolicy(policy: PostPolicy): Record<string, string> {
  const detail: Record<string, string> = { expiration: policy.expiration.toISOString() };
  policy.conditions.forEach((c, i) => {
    detail[`condition ${i + 1}`] = c.source;
  });
  return detail;
}

/** A trace summary for failures whose S3 message is the catalogue's fixed text. */
function describeFailure(failure: PolicyFailure): string {
  if (failure.message) return failure.message;
  switch (failure.reason) {
    case 'AnonymousAccessDenied':
      return 'the form has no signature fields (x-amz-* or AWSAccessKeyId/signature): anonymous uploads are refused';
    case 'QueryAlgorithmUnsupported':
      return 'x-amz-algorithm must be AWS4-HMAC-SHA256';
    case 'DateMalformed':
      return "x-amz-date must be yyyyMMdd'T'HHmmss'Z'";
    case 'SecurityTokenInvalid':
      return 'the form carries x-amz-security-token, but signet issues no session tokens';
    case 'PolicyExpired':
      return 'Invalid according to Policy: Policy expired.';
    default:
      return failure.reason;
  }
}

function step(name: VerificationStep['name'], ok: boolean, summary: string, detail: Record<string, string>): VerificationStep {
  return { name, ok, summary, detail };
}
