/**
 * SigV2 verification, header and query (reference s3-auth.md §4, §6 rows 1, 18-20, 23-24).
 *
 *   header  Authorization: AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=
 *           Date: Tue, 27 Mar 2007 19:36:42 +0000          (or x-amz-date)
 *   query   ?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=%2BbDIZ570mkaIGZ1u5dSoKSCm%2FEs%3D&Expires=1700000600
 *           (Expires: absolute, seconds since the epoch; the Signature is URL-encoded base64)
 *
 * Steps, in order: parse, token, time, string-to-sign, signature (the dispatcher,
 * src/auth/verify-request.ts, puts its 'detect' step first). Each check returns its trace
 * step; the first failure ends verification. SigV2 never signs the body (Content-MD5,
 * when sent, is checked by the body pipeline), so the payload mode is always 'unsigned'.
 */
import { toSpacedHex } from '../auth/spaced-hex.ts';
import type { AuthFailure, AuthKind, SignableRequest, VerificationStep, VerifyContext, VerifyResult } from '../auth/types.ts';
import type { Token } from '../access/types.ts';
import { checkTokenStatus } from '../access/token-status.ts';
import { signaturesEqual } from '../sigv4/signing-key.ts';
import {
  AUTHORIZATION_V2_MALFORMED_MESSAGE,
  AUTHORIZATION_V2_PREFIX,
  EXPIRES_FORMAT,
  HEADER_V2,
  MAX_SKEW_MS,
  QUERY_V2,
  QUERY_V2_PARAMS,
  expiresMalformedMessage,
} from './constants.ts';
import { formatIsoSeconds, parseHttpDate } from './http-date.ts';
import { getQueryValue, readSignatureParam, splitRawQuery } from './query.ts';
import { signV2 } from './signature.ts';
import {
  type DateLineForm,
  type ResourcePathForm,
  createHeaderStringToSign,
  createQueryStringToSign,
  isBucketOnlyPath,
  queryAuthHeaders,
} from './string-to-sign.ts';

type Outcome<T> = { ok: true; value: T; step: VerificationStep } | { ok: false; failure: AuthFailure; step: VerificationStep };

/** One way the client may have built its string to sign; the first candidate is the standard one. */
interface Candidate {
  form: string;
  stringToSign: string;
}

interface Credentials {
  accessKeyId: string;
  signature: string;
}

export function verifySigV2Header(req: SignableRequest, ctx: VerifyContext): VerifyResult {
  const run = new Run('sigv2-header');
  const parsed = run.step(parseAuthorizationV2(req));
  if (!parsed.ok) return run.fail(parsed.failure);
  const { accessKeyId } = parsed.value;
  const token = run.step(checkToken(req, accessKeyId, ctx));
  if (!token.ok) return run.fail(token.failure, accessKeyId);
  const time = run.step(checkRequestTime(req, ctx.now));
  if (!time.ok) return run.fail(time.failure, accessKeyId);
  return run.finish(headerCandidates(req), parsed.value, token.value);
}

export function verifySigV2Query(req: SignableRequest, ctx: VerifyContext): VerifyResult {
  const run = new Run('sigv2-query');
  const parsed = run.step(parseQueryV2(req));
  if (!parsed.ok) return run.fail(parsed.failure);
  const { accessKeyId, expires } = parsed.value;
  const token = run.step(checkToken(req, accessKeyId, ctx));
  if (!token.ok) return run.fail(token.failure, accessKeyId);
  const time = run.step(checkExpires(expires, ctx.now));
  if (!time.ok) return run.fail(time.failure, accessKeyId);
  return run.finish(queryCandidates(req, expires), parsed.value, token.value);
}

/** Collects the trace and builds the result. */
class Run {
  readonly steps: VerificationStep[] = [];
  constructor(readonly kind: AuthKind) {}

  step<T extends { step: VerificationStep }>(outcome: T): T {
    this.steps.push(outcome.step);
    return outcome;
  }

  fail(failure: AuthFailure, accessKeyId?: string): VerifyResult {
    return { ok: false, kind: this.kind, accessKeyId, failure, steps: this.steps };
  }

  /** The string-to-sign and signature steps. */
  finish(candidates: Candidate[], credentials: Credentials, token: Token): VerifyResult {
    this.steps.push(stringToSignStep(candidates));
    const compared = compareSignature(candidates, credentials, token.secretAccessKey);
    this.steps.push(compared.step);
    if (!compared.ok) return this.fail(compared.failure, credentials.accessKeyId);
    return { ok: true, kind: this.kind, accessKeyId: credentials.accessKeyId, token, payload: { type: 'unsigned' }, steps: this.steps };
  }
}

/**
 * The 'token' step: the access key's token must be usable (checkTokenStatus, shared by every
 * mechanism), and no session token may be sent. signet issues none, so an x-amz-security-token
 * header, or the copy botocore puts into the query, cannot be valid: 400 InvalidToken with
 * Token-0, as SigV4 answers (reference §2.1, row 32).
 */
function checkToken(req: SignableRequest, accessKeyId: string, ctx: VerifyContext): Outcome<Token> {
  const check = checkTokenStatus(accessKeyId, ctx.lookupToken(accessKeyId), ctx.now);
  if (!check.ok) return check;
  const session = findSessionToken(req);
  if (session === undefined) return { ok: true, value: check.token, step: check.step };
  return {
    ok: false,
    failure: { reason: 'SecurityTokenInvalid', elements: { 'Token-0': session.value } },
    step: {
      name: 'token',
      ok: false,
      summary: `${session.from} carries a session token, but signet issues none: it cannot be valid`,
      detail: { ...check.step.detail, securityTokenFrom: session.from },
    },
  };
}

function findSessionToken(req: SignableRequest): { from: string; value: string } | undefined {
  const header = req.headers[HEADER_V2.securityToken]?.[0];
  if (header !== undefined) return { from: 'the x-amz-security-token header', value: header };
  const param = splitRawQuery(req.rawQuery).find((i) => i.name.toLowerCase() === HEADER_V2.securityToken);
  if (param !== undefined) return { from: `the ${param.name} query parameter`, value: param.value ?? '' };
  return undefined;
}

// ---------------------------------------------------------------- header auth

/**
 *   Authorization: AWS <AKID>:<signature>
 *
 * Exactly one Authorization header, the "AWS " scheme, one colon, no other spaces. Another
 * scheme is 400 InvalidArgument "Unsupported Authorization Type" (the dispatcher normally
 * catches it first); a malformed AWS header is 400 InvalidArgument with its own message.
 */
function parseAuthorizationV2(req: SignableRequest): Outcome<Credentials> {
  const values = req.headers[HEADER_V2.authorization] ?? [];
  const header = values.join(', ');
  const elements = { ArgumentName: 'Authorization', ArgumentValue: header };
  if (values.length !== 1 || !header.startsWith(AUTHORIZATION_V2_PREFIX)) {
    const summary =
      values.length === 0
        ? 'no Authorization header'
        : values.length > 1
          ? `${values.length} Authorization headers were sent`
          : 'the Authorization header does not start with "AWS "';
    return { ok: false, failure: { reason: 'UnsupportedAuthorizationType', elements }, step: { name: 'parse', ok: false, summary, detail: {} } };
  }
  const match = /^([^:\s]+):([^:\s]+)$/.exec(header.slice(AUTHORIZATION_V2_PREFIX.length));
  if (!match) {
    return {
      ok: false,
      // A reason of its own would be clearer (see constants.ts); this one has the right status and code.
      failure: { reason: 'UnsupportedAuthorizationType', message: AUTHORIZATION_V2_MALFORMED_MESSAGE, elements },
      step: { name: 'parse', ok: false, summary: 'the Authorization header is not "AWS <access key id>:<signature>"', detail: {} },
    };
  }
  const [, accessKeyId, signature] = match;
  return {
    ok: true,
    value: { accessKeyId, signature },
    step: { name: 'parse', ok: true, summary: `SigV2 Authorization header, access key id ${accessKeyId}`, detail: { accessKeyId } },
  };
}

/** x-amz-date wins over Date when both are sent; either must be within 15 minutes of now. */
function checkRequestTime(req: SignableRequest, now: Date): Outcome<Date> {
  const source = req.headers[HEADER_V2.amzDate] !== undefined ? 'x-amz-date' : req.headers[HEADER_V2.date] !== undefined ? 'Date' : undefined;
  const serverTime = formatIsoSeconds(now);
  if (source === undefined) {
    return timeFailure('MissingDate', {}, 'neither a Date nor an x-amz-date header was sent', { serverTime });
  }
  const sent = (req.headers[source.toLowerCase()]?.[0] ?? '').trim();
  const requestTime = parseHttpDate(sent);
  const detail = { source, requestTime: sent, serverTime };
  if (!requestTime) return timeFailure('DateMalformed', {}, `the ${source} header "${sent}" is not a date`, detail);
  const skewMs = requestTime.getTime() - now.getTime();
  const skewDetail = { ...detail, skewMs: String(skewMs), maxAllowedSkewMs: String(MAX_SKEW_MS) };
  if (Math.abs(skewMs) > MAX_SKEW_MS) {
    const elements = { RequestTime: sent, ServerTime: serverTime, MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS) };
    const summary = `the request time (${source}) is ${describeSkew(skewMs)} the server time, more than 15 minutes`;
    return timeFailure('RequestTimeTooSkewed', elements, summary, skewDetail);
  }
  const summary = `the request time (${source}) is within 15 minutes of the server time (${describeSkew(skewMs)})`;
  return { ok: true, value: requestTime, step: { name: 'time', ok: true, summary, detail: skewDetail } };
}

function timeFailure(
  reason: AuthFailure['reason'],
  elements: Record<string, string>,
  summary: string,
  detail: Record<string, string>,
): Outcome<never> {
  return { ok: false, failure: { reason, elements }, step: { name: 'time', ok: false, summary, detail } };
}

function describeSkew(skewMs: number): string {
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  return skewMs >= 0 ? `${seconds}s ahead of` : `${seconds}s behind`;
}

function headerCandidates(req: SignableRequest): Candidate[] {
  const dateLines: DateLineForm[] = req.headers[HEADER_V2.amzDate] !== undefined ? ['standard', 'amz-date-on-date-line'] : ['standard'];
  const candidates: Candidate[] = [];
  for (const resource of resourceForms(req)) {
    for (const dateLine of dateLines) {
      const form = [DATE_LINE_LABEL[dateLine], RESOURCE_LABEL[resource]].filter(Boolean).join(', ') || 'standard';
      candidates.push({ form, stringToSign: createHeaderStringToSign(req, { dateLine, resource }) });
    }
  }
  return candidates;
}

// ---------------------------------------------------------------- query auth

interface QueryCredentials extends Credentials {
  expires: string;
}

function parseQueryV2(req: SignableRequest): Outcome<QueryCredentials> {
  const items = splitRawQuery(req.rawQuery);
  const accessKeyId = getQueryValue(items, QUERY_V2.accessKeyId);
  const expires = getQueryValue(items, QUERY_V2.expires);
  const signature = getQueryValue(items, QUERY_V2.signature);
  if (accessKeyId === undefined || expires === undefined || signature === undefined) {
    // All three, or the request is not SigV2 query auth at all (reference §4, LocalStack's AWS-validated test).
    const missing = QUERY_V2_PARAMS.filter((name) => getQueryValue(items, name) === undefined).join(', ');
    return {
      ok: false,
      failure: { reason: 'SigV2QueryParametersMissing', elements: {} },
      step: { name: 'parse', ok: false, summary: `the query lacks ${missing}`, detail: { missing } },
    };
  }
  if (!EXPIRES_FORMAT.test(expires)) {
    return {
      ok: false,
      // DateMalformed is 403 AccessDenied, as Swift answers; the message carries the value.
      failure: { reason: 'DateMalformed', message: expiresMalformedMessage(expires), elements: {} },
      step: { name: 'parse', ok: false, summary: `Expires "${expires}" is not a whole number of seconds since the epoch`, detail: { accessKeyId, expires } },
    };
  }
  const detail = { accessKeyId, expires, expiresAt: describeEpochSeconds(expires) };
  return {
    ok: true,
    value: { accessKeyId, expires, signature: readSignatureParam(signature) },
    step: { name: 'parse', ok: true, summary: `SigV2 presigned URL, access key id ${accessKeyId}, expires ${detail.expiresAt}`, detail },
  };
}

/** Expired when now is past Expires; a URL is valid through its Expires second. */
function checkExpires(expires: string, now: Date): Outcome<null> {
  const expiresMs = Number(expires) * 1000;
  const detail = { expires: describeEpochSeconds(expires), serverTime: formatIsoSeconds(now) };
  if (now.getTime() > expiresMs) {
    return {
      ok: false,
      failure: { reason: 'RequestExpired', elements: { Expires: detail.expires, ServerTime: detail.serverTime } },
      step: { name: 'time', ok: false, summary: `the URL expired at ${detail.expires}; it is now ${detail.serverTime}`, detail },
    };
  }
  return { ok: true, value: null, step: { name: 'time', ok: true, summary: `the URL is valid until ${detail.expires}`, detail } };
}

function describeEpochSeconds(seconds: string): string {
  const date = new Date(Number(seconds) * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds} (beyond the calendar)` : formatIsoSeconds(date);
}

function queryCandidates(req: SignableRequest, expires: string): Candidate[] {
  const signed = { ...req, headers: queryAuthHeaders(req) };
  return resourceForms(req).map((resource) => ({
    form: RESOURCE_LABEL[resource] || 'standard',
    stringToSign: createQueryStringToSign(signed, expires, resource),
  }));
}

// ---------------------------------------------------------------- shared

const DATE_LINE_LABEL: Record<DateLineForm, string> = {
  standard: '',
  'amz-date-on-date-line': 'x-amz-date on the Date line',
};

const RESOURCE_LABEL: Record<ResourcePathForm, string> = {
  'bucket-slash': '',
  'as-sent': 'bucket path signed without its trailing slash',
};

function resourceForms(req: SignableRequest): ResourcePathForm[] {
  return req.virtualHostBucket === undefined && isBucketOnlyPath(req.rawPath) ? ['bucket-slash', 'as-sent'] : ['bucket-slash'];
}

function stringToSignStep(candidates: Candidate[]): VerificationStep {
  const [primary, ...alternates] = candidates;
  const detail: Record<string, string> = { stringToSign: primary.stringToSign };
  for (const alt of alternates) detail[`stringToSign (${alt.form})`] = alt.stringToSign;
  const summary =
    alternates.length === 0
      ? 'built the string to sign'
      : `built the string to sign, and ${alternates.length} alternate form${alternates.length > 1 ? 's' : ''} S3 clients use`;
  return { name: 'string-to-sign', ok: true, summary, detail };
}

/**
 * Compares in constant time (signaturesEqual), against every candidate form so that the time
 * taken does not depend on which form matched.
 */
function compareSignature(candidates: Candidate[], credentials: Credentials, secretAccessKey: string): Outcome<Candidate> {
  const expected = candidates.map((c) => signV2(secretAccessKey, c.stringToSign));
  let matched = -1;
  expected.forEach((sig, i) => {
    if (signaturesEqual(sig, credentials.signature) && matched === -1) matched = i;
  });
  const provided = credentials.signature;
  if (matched !== -1) {
    const candidate = candidates[matched];
    const detail = { signatureProvided: provided, signatureExpected: expected[matched], form: candidate.form };
    const summary = matched === 0 ? 'the signature matches' : `the signature matches the alternate form: ${candidate.form}`;
    return { ok: true, value: candidate, step: { name: 'signature', ok: true, summary, detail } };
  }
  const stringToSign = candidates[0].stringToSign;
  return {
    ok: false,
    failure: {
      reason: 'SignatureDoesNotMatch',
      elements: {
        AWSAccessKeyId: credentials.accessKeyId,
        StringToSign: stringToSign,
        SignatureProvided: provided,
        StringToSignBytes: toSpacedHex(stringToSign),
      },
    },
    step: {
      name: 'signature',
      ok: false,
      summary: "the signature does not match the one calculated from the string to sign with the token's secret",
      detail: { signatureProvided: provided, signatureExpected: expected[0] },
    },
  };
}

/** `41 57 53 …`: lower-case two-digit hex of the UTF-8 bytes, single spaces (§6.2). */
