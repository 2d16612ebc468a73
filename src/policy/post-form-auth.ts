/**
 * Which signature a POST form carries, and its authentication fields parsed (reference §5.2, §4).
 *
 *   SigV4  x-amz-algorithm   AWS4-HMAC-SHA256
 *          x-amz-credential  <AKID>/<YYYYMMDD>/<region>/s3/aws4_request
 *          x-amz-date        <YYYYMMDD>T<HHMMSS>Z
 *          x-amz-signature   hex, over the policy field
 *          policy            base64 JSON
 *   SigV2  AWSAccessKeyId, signature (base64, over the policy field), policy
 *
 * Field names arrive lower-cased (they are case-insensitive); the error messages name them as
 * AWS does ('X-Amz-Algorithm', 'AWSAccessKeyId').
 */
import type { AuthKind } from '../auth/types.ts';
import { invalidPostArgument, postAuthUnsupported } from './policy-messages.ts';
import type { PolicyFailure } from './types.ts';

export type PostAuthKind = 'post-sigv4' | 'post-sigv2';

export type PostAuthDetection =
  | { ok: true; kind: PostAuthKind }
  | { ok: false; kind: AuthKind; failure: PolicyFailure };

const SIGV4_SIGNAL_FIELDS = ['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature'];
const SIGV2_SIGNAL_FIELDS = ['awsaccesskeyid', 'signature'];

/**
 * Required fields in the order their absence is reported. AWS-OBS ([LS-SNAP]): with algorithm
 * and credential both missing, 'X-Amz-Algorithm' is named. UNVERIFIED: the name and position of
 * a missing policy ('Policy', last).
 */
const REQUIRED_FIELDS: Record<PostAuthKind, Array<[name: string, printed: string]>> = {
  'post-sigv4': [
    ['x-amz-algorithm', 'X-Amz-Algorithm'],
    ['x-amz-credential', 'X-Amz-Credential'],
    ['x-amz-date', 'X-Amz-Date'],
    ['x-amz-signature', 'X-Amz-Signature'],
    ['policy', 'Policy'],
  ],
  'post-sigv2': [
    ['awsaccesskeyid', 'AWSAccessKeyId'],
    ['signature', 'Signature'],
    ['policy', 'Policy'],
  ],
};

/**
 * An empty value counts as absent. UNVERIFIED (versitygw's tests send empty auth fields and
 * expect the "must contain a field named" and AccessDenied answers).
 */
export function hasField(fields: ReadonlyMap<string, string>, name: string): boolean {
  const value = fields.get(name);
  return value !== undefined && value !== '';
}

/**
 * Any SigV4 field selects SigV4, else any SigV2 field selects SigV2, else the form is anonymous:
 * 403 AccessDenied, since signet has no publicly writable buckets (row 40). `key` is checked
 * before the mechanism (§5.7 step 3).
 */
export function detectPostAuth(fields: ReadonlyMap<string, string>): PostAuthDetection {
  const kind: AuthKind = SIGV4_SIGNAL_FIELDS.some((f) => hasField(fields, f))
    ? 'post-sigv4'
    : SIGV2_SIGNAL_FIELDS.some((f) => hasField(fields, f))
      ? 'post-sigv2'
      : 'anonymous';
  if (!hasField(fields, 'key')) return { ok: false, kind, failure: invalidPostArgument.missingField('key') };
  if (kind === 'anonymous') return { ok: false, kind, failure: { reason: 'AnonymousAccessDenied', elements: {} } };
  const missing = REQUIRED_FIELDS[kind].find(([name]) => !hasField(fields, name));
  if (missing) return { ok: false, kind, failure: invalidPostArgument.missingField(missing[1]) };
  return { ok: true, kind };
}

export interface SigV4PostCredential {
  accessKeyId: string;
  /** YYYYMMDD, the date of the signing key. */
  date: string;
  region: string;
  amzDate: string;
}

export type SigV4PostCredentialResult = { ok: true; value: SigV4PostCredential } | { ok: false; failure: PolicyFailure };

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Checks, in order: algorithm, x-amz-date format, credential shape, credential date format,
 * credential date = x-amz-date's, region, service, terminator. The credential is split from the
 * right (§1.10): the last four parts are the scope, the rest is the access key id.
 */
export function parseSigV4PostCredential(
  algorithm: string,
  credential: string,
  amzDate: string,
  expectedRegion: string,
): SigV4PostCredentialResult {
  if (algorithm !== 'AWS4-HMAC-SHA256') return { ok: false, failure: postAuthUnsupported.algorithm() };
  if (!isAmzDate(amzDate)) return { ok: false, failure: postAuthUnsupported.date() };
  const parts = credential.split('/');
  if (parts.length < 5) return { ok: false, failure: invalidPostArgument.credentialMalformed(credential) };
  const [date, region, service, terminator] = parts.slice(-4);
  const accessKeyId = parts.slice(0, -4).join('/');
  if (accessKeyId === '') return { ok: false, failure: invalidPostArgument.credentialMalformed(credential) };
  if (!/^\d{8}$/.test(date)) return { ok: false, failure: invalidPostArgument.credentialDateMalformed(credential, date) };
  if (date !== amzDate.slice(0, 8)) return { ok: false, failure: invalidPostArgument.credentialDateMismatch(credential) };
  if (region !== expectedRegion) return { ok: false, failure: invalidPostArgument.regionWrong(credential, region, expectedRegion) };
  if (service !== 's3') return { ok: false, failure: invalidPostArgument.serviceWrong(credential, service) };
  if (terminator !== 'aws4_request') return { ok: false, failure: invalidPostArgument.terminatorWrong(credential, terminator) };
  return { ok: true, value: { accessKeyId, date, region, amzDate } };
}

function isAmzDate(value: string): boolean {
  const m = AMZ_DATE.exec(value);
  if (!m) return false;
  const [, year, month, day, hour, minute, second] = m.map(Number);
  const t = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return t.getUTCMonth() === month - 1 && t.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
}
