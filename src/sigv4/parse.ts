/**
 * Parsers for the SigV4 auth inputs. Each returns a typed value or one precise failure
 * (reference s3-auth.md §1.10–§1.12, §2.1, §2.3, §6.2). They only read syntax and compare
 * with the server's region: time windows and signatures are checked by the verifiers.
 */
import type { AuthFailure, AuthFailureReason } from '../auth/types.ts';
import { ALGORITHM, HEADER, MAX_PRESIGN_EXPIRES, PRESIGN_REQUIRED_PARAMS, QUERY, SCOPE_TERMINATOR } from './constants.ts';
import { getQueryParam, type QueryParam } from './query.ts';
import { formatAmzDate, isShortDate, parseAmzDate, parseHttpDate } from './time.ts';

/** A parse result; `why` is the human sentence for the trace. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; failure: AuthFailure; why: string };

function fail<T>(reason: AuthFailureReason, why: string, extra: Partial<AuthFailure> = {}): Parsed<T> {
  return { ok: false, failure: { reason, elements: {}, ...extra }, why };
}

// ---------------------------------------------------------------------------------------------
// Authorization header

export interface AuthorizationHeader {
  /** `AKID/20130524/us-east-1/s3/aws4_request` */
  credential: string;
  /** `host;range;x-amz-date`, as sent */
  signedHeaders: string;
  signature: string;
}

const COMPONENTS = { Credential: 'credential', SignedHeaders: 'signedHeaders', Signature: 'signature' } as const;

/**
 * `AWS4-HMAC-SHA256 Credential=<scope>, SignedHeaders=<a;b>, Signature=<hex>`
 *
 * One space after the algorithm; components separated by ',' with optional whitespace around
 * it (botocore writes ", ", some hand-written signers ","). Exactly the three components,
 * once each, else HeaderMalformed (§1.11, row 14).
 */
export function parseAuthorizationHeader(value: string): Parsed<AuthorizationHeader> {
  if (!value.startsWith(`${ALGORITHM} `)) {
    return fail('HeaderMalformed', `the Authorization header does not start with "${ALGORITHM} "`);
  }
  const found: Partial<Record<keyof AuthorizationHeader, string>> = {};
  const items = value
    .slice(ALGORITHM.length)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const item of items) {
    const eq = item.indexOf('=');
    const name = eq === -1 ? item : item.slice(0, eq);
    const field = Object.hasOwn(COMPONENTS, name) ? COMPONENTS[name as keyof typeof COMPONENTS] : undefined;
    if (!field) return fail('HeaderMalformed', `the Authorization header has an unknown component "${name}"`);
    if (found[field] !== undefined) return fail('HeaderMalformed', `the Authorization header repeats ${name}`);
    found[field] = item.slice(eq + 1);
  }
  const missing = Object.entries(COMPONENTS)
    .filter(([, field]) => found[field] === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    return fail('HeaderMalformed', `the Authorization header lacks ${missing.join(', ')}`);
  }
  return { ok: true, value: found as AuthorizationHeader };
}

// ---------------------------------------------------------------------------------------------
// Credential

export interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  /** `20130524/us-east-1/s3/aws4_request` */
  scope: string;
}

export interface CredentialExpectations {
  /** yyyyMMdd of the request time; undefined when that time could not be read (checked later). */
  requestShortDate?: string;
  region: string;
  service: string;
}

type Mode = 'header' | 'query';

const CREDENTIAL_REASONS: Record<Mode, Record<'malformed' | 'date' | 'dateMismatch' | 'region' | 'service' | 'terminator', AuthFailureReason>> = {
  header: {
    malformed: 'HeaderCredentialMalformed',
    // UNVERIFIED: AWS's header-auth answer to a non-date credential date; signet calls it malformed.
    date: 'HeaderCredentialMalformed',
    dateMismatch: 'HeaderCredentialDateMismatch',
    region: 'HeaderRegionWrong',
    service: 'HeaderServiceWrong',
    terminator: 'HeaderTerminatorWrong',
  },
  query: {
    malformed: 'QueryCredentialMalformed',
    date: 'QueryCredentialDateMalformed',
    dateMismatch: 'QueryCredentialDateMismatch',
    region: 'QueryRegionWrong',
    service: 'QueryServiceWrong',
    terminator: 'QueryTerminatorWrong',
  },
};

/** S3's text for a wrong region embeds both regions (rows 10, 11). */
function wrongRegionMessage(mode: Mode, sent: string, expected: string): string {
  const prefix = mode === 'header' ? 'The authorization header is malformed' : 'Error parsing the X-Amz-Credential parameter';
  return `${prefix}; the region '${sent}' is wrong; expecting '${expected}'`;
}

/**
 * `<AccessKeyId>/<yyyyMMdd>/<region>/<service>/aws4_request`, read from the right: the last
 * four parts are the scope, everything before them is the key id (§1.10).
 */
export function parseCredential(raw: string, expected: CredentialExpectations, mode: Mode): Parsed<Credential> {
  const reasons = CREDENTIAL_REASONS[mode];
  const parts = raw.split('/');
  if (parts.length < 5) {
    return fail(reasons.malformed, `the credential "${raw}" does not have the form AKID/yyyyMMdd/region/service/aws4_request`);
  }
  const [date, region, service, terminator] = parts.slice(-4);
  const accessKeyId = parts.slice(0, -4).join('/');
  if (accessKeyId === '') return fail(reasons.malformed, `the credential "${raw}" has no access key id`);
  if (!isShortDate(date)) return fail(reasons.date, `the credential date "${date}" is not a yyyyMMdd date`);
  if (expected.requestShortDate !== undefined && date !== expected.requestShortDate) {
    return fail(reasons.dateMismatch, `the credential date ${date} is not the day of the request time (${expected.requestShortDate})`);
  }
  if (region !== expected.region) {
    return fail(reasons.region, `the credential names region "${region}" but this server is "${expected.region}"`, {
      message: wrongRegionMessage(mode, region, expected.region),
      elements: { Region: expected.region },
    });
  }
  if (service !== expected.service) {
    return fail(reasons.service, `the credential names service "${service}" instead of "${expected.service}"`);
  }
  if (terminator !== SCOPE_TERMINATOR) {
    return fail(reasons.terminator, `the credential ends with "${terminator}" instead of "${SCOPE_TERMINATOR}"`);
  }
  return { ok: true, value: { accessKeyId, date, region, service, terminator, scope: parts.slice(-4).join('/') } };
}

// ---------------------------------------------------------------------------------------------
// Presigned query

export interface PresignedQuery {
  algorithm: string;
  credential: string;
  /** X-Amz-Date as sent (valid yyyyMMdd'T'HHmmss'Z') */
  amzDate: string;
  signedAt: Date;
  /** X-Amz-Expires as sent, for the RequestExpired element */
  expiresRaw: string;
  expiresSeconds: number;
  signedHeaders: string;
  signature: string;
}

/**
 * The six presigned parameters (§2.1, §2.3), checked in this order: all present (row 6),
 * algorithm (row 8), X-Amz-Date (row 7), X-Amz-Expires (rows 5, 4, 3). The credential is
 * checked by parseCredential.
 */
export function parsePresignedQuery(params: readonly QueryParam[]): Parsed<PresignedQuery> {
  const missing = PRESIGN_REQUIRED_PARAMS.filter((name) => getQueryParam(params, name) === undefined);
  if (missing.length > 0) return fail('QueryParametersMissing', `the query lacks ${missing.join(', ')}`);
  const get = (name: string) => getQueryParam(params, name) as string;

  const algorithm = get(QUERY.algorithm);
  if (algorithm !== ALGORITHM) return fail('QueryAlgorithmUnsupported', `X-Amz-Algorithm is "${algorithm}", not ${ALGORITHM}`);

  const amzDate = get(QUERY.date);
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt) return fail('QueryDateMalformed', `X-Amz-Date "${amzDate}" is not yyyyMMdd'T'HHmmss'Z'`);

  const expiresRaw = get(QUERY.expires);
  const expires = parseExpires(expiresRaw);
  if (!expires.ok) return expires;

  return {
    ok: true,
    value: {
      algorithm,
      credential: get(QUERY.credential),
      amzDate,
      signedAt,
      expiresRaw,
      expiresSeconds: expires.value,
      signedHeaders: get(QUERY.signedHeaders),
      signature: get(QUERY.signature),
    },
  };
}

/**
 * A whole number of seconds, 0…604800. `21600.0`, `''` and `1e3` are not numbers to S3
 * (row 5). 0 is valid syntax and expires at once (§2.3).
 */
function parseExpires(raw: string): Parsed<number> {
  if (!/^-?\d+$/.test(raw)) return fail('QueryExpiresNotNumber', `X-Amz-Expires "${raw}" is not a whole number`);
  const seconds = Number(raw);
  if (seconds < 0) return fail('QueryExpiresNegative', `X-Amz-Expires ${raw} is negative`);
  if (seconds > MAX_PRESIGN_EXPIRES) {
    return fail('QueryExpiresTooLarge', `X-Amz-Expires ${raw} is more than ${MAX_PRESIGN_EXPIRES} seconds (7 days)`);
  }
  return { ok: true, value: seconds === 0 ? 0 : seconds };
}

// ---------------------------------------------------------------------------------------------
// Request time for header auth

export interface RequestDate {
  /** The time as it enters the string to sign: yyyyMMdd'T'HHmmss'Z' */
  amzDate: string;
  time: Date;
  /** Which header it came from, and its value as sent (RequestTime element) */
  source: 'x-amz-date' | 'date';
  sent: string;
}

/**
 * X-Amz-Date if present, else Date (RFC 1123); x-amz-date wins when both are sent (§1.12).
 * A Date-header time enters the string to sign re-formatted as yyyyMMdd'T'HHmmss'Z', as SigV4
 * signers do (UNVERIFIED for requests that sign only Date).
 */
export function parseRequestDate(headers: Record<string, string[]>): Parsed<RequestDate> {
  const amz = headers[HEADER.amzDate]?.[0];
  if (amz !== undefined) {
    const time = parseAmzDate(amz.trim());
    if (!time) return fail('DateMalformed', `x-amz-date "${amz}" is not yyyyMMdd'T'HHmmss'Z'`);
    return { ok: true, value: { amzDate: amz.trim(), time, source: 'x-amz-date', sent: amz } };
  }
  const date = headers[HEADER.date]?.[0];
  if (date === undefined) return fail('MissingDate', 'neither x-amz-date nor Date was sent');
  const time = parseHttpDate(date.trim());
  if (!time) return fail('DateMalformed', `Date "${date}" is not an RFC 1123 date`);
  return { ok: true, value: { amzDate: formatAmzDate(time), time, source: 'date', sent: date } };
}
