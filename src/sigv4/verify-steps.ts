/**
 * Steps shared by header and presigned SigV4 verification: the trace itself, the token and
 * session-token checks, the signed-headers rule and the final signature comparison.
 */
import { checkTokenStatus } from '../access/token-status.ts';
import type { Token } from '../access/types.ts';
import type { AuthFailure, AuthKind, PayloadMode, StepName, VerificationStep, VerifyContext, VerifyResult } from '../auth/types.ts';
import { HEADER, QUERY } from './constants.ts';
import type { Parsed } from './parse.ts';
import { getQueryParam, type QueryParam } from './query.ts';
import { signaturesEqual } from './signing-key.ts';
import { toSpacedHex } from '../auth/spaced-hex.ts';
import type { SignatureComputation } from './signature.ts';

/** Verification options that are not S3's: used to run the generic AWS SigV4 test suite. */
export interface SigV4VerifyOptions {
  /** The credential-scope service; S3 is 's3' (the default), the AWS test suite 'service'. */
  service?: string;
  /**
   * Generic SigV4 services sign the body's SHA-256 when no x-amz-content-sha256 is sent; S3
   * requires the header (header auth) or signs UNSIGNED-PAYLOAD (presigned). When set, this
   * hash stands in for the payload line in those cases.
   */
  bodySha256?: string;
}

/** Collects steps and builds the result; the first failure ends the verification. */
export class Trace {
  readonly steps: VerificationStep[] = [];
  accessKeyId?: string;

  constructor(readonly kind: AuthKind) {}

  pass(name: StepName, summary: string, detail: Record<string, string> = {}): void {
    this.steps.push({ name, ok: true, summary, detail });
  }

  fail(name: StepName, summary: string, failure: AuthFailure, detail: Record<string, string> = {}): VerifyResult {
    this.steps.push({ name, ok: false, summary, detail });
    return { ok: false, kind: this.kind, accessKeyId: this.accessKeyId, failure, steps: this.steps };
  }

  failParse(name: StepName, parsed: Extract<Parsed<unknown>, { ok: false }>, detail: Record<string, string> = {}): VerifyResult {
    return this.fail(name, parsed.why, parsed.failure, detail);
  }

  succeed(token: Token, payload: PayloadMode): VerifyResult {
    return { ok: true, kind: this.kind, accessKeyId: token.accessKeyId, token, payload, steps: this.steps };
  }
}

/** The 'token' step: the access key must name an active token. */
export function checkToken(trace: Trace, accessKeyId: string, ctx: VerifyContext): { ok: true; token: Token } | { ok: false; result: VerifyResult } {
  const check = checkTokenStatus(accessKeyId, ctx.lookupToken(accessKeyId), ctx.now);
  trace.steps.push(check.step);
  if (!check.ok) {
    return { ok: false, result: { ok: false, kind: trace.kind, accessKeyId, failure: check.failure, steps: trace.steps } };
  }
  return { ok: true, token: check.token };
}

/**
 * signet issues no session tokens, so any X-Amz-Security-Token (query) or
 * x-amz-security-token (header) names one that does not exist: 400 InvalidToken with the
 * token echoed as Token-0 (reference §2.1, row 32).
 */
export function checkSecurityToken(trace: Trace, params: readonly QueryParam[], headers: Record<string, string[]>): VerifyResult | undefined {
  const fromQuery = getQueryParam(params, QUERY.securityToken);
  const fromHeader = headers[HEADER.securityToken]?.[0];
  const token = fromQuery ?? fromHeader;
  if (token === undefined) return undefined;
  const where = fromQuery !== undefined ? `the ${QUERY.securityToken} parameter` : `the ${HEADER.securityToken} header`;
  return trace.fail(
    'token',
    `${where} carries a session token, but signet issues none: it cannot be valid`,
    { reason: 'SecurityTokenInvalid', elements: { 'Token-0': token } },
    { securityTokenFrom: where },
  );
}

/**
 * `host` must be signed, and so must every x-amz-* header present except
 * x-amz-content-sha256 (reference §1.6, row 22). Offenders are listed lower-case, sorted,
 * joined with ", ".
 */
export function checkSignedHeaders(trace: Trace, headers: Record<string, string[]>, signedNames: readonly string[]): VerifyResult | undefined {
  const signed = new Set(signedNames.map((n) => n.toLowerCase()));
  const sentAmz = Object.keys(headers)
    .map((n) => n.toLowerCase())
    .filter((n) => n.startsWith('x-amz-'))
    .sort();
  const mustSign = [HEADER.host, ...sentAmz.filter((n) => n !== HEADER.contentSha256)];
  const notSigned = [...new Set(mustSign.filter((n) => !signed.has(n)))].sort();
  const detail = {
    signedHeaders: [...signed].join(';') || '(none)',
    sentAmzHeaders: sentAmz.join(', ') || '(none)',
  };
  if (notSigned.length > 0) {
    return trace.fail(
      'signed-headers',
      `${notSigned.join(', ')} ${notSigned.length === 1 ? 'was' : 'were'} sent but not signed: host and every x-amz-* header except x-amz-content-sha256 must be in SignedHeaders`,
      { reason: 'HeadersNotSigned', elements: { HeadersNotSigned: notSigned.join(', ') } },
      { ...detail, notSigned: notSigned.join(', ') },
    );
  }
  trace.pass('signed-headers', 'host and every x-amz-* header sent are signed', detail);
  return undefined;
}

/**
 * The canonical-request, string-to-sign and signature steps. A mismatch is
 * SignatureDoesNotMatch with S3's six elements, in S3's order (row 19).
 */
export function compareSignature(
  trace: Trace,
  accessKeyId: string,
  computed: SignatureComputation,
  provided: string,
): VerifyResult | undefined {
  const [method, canonicalUri] = computed.canonicalRequest.split('\n', 2);
  const canonicalRequestHash = computed.stringToSign.slice(computed.stringToSign.lastIndexOf('\n') + 1);
  trace.pass('canonical-request', `rebuilt from the request as received: ${method} ${canonicalUri}`, {
    canonicalRequest: computed.canonicalRequest,
    canonicalRequestHash,
  });
  trace.pass('string-to-sign', 'algorithm, request time, credential scope and the canonical request\'s SHA-256', {
    stringToSign: computed.stringToSign,
  });
  // Constant time: a timing leak would let a caller guess the signature byte by byte.
  if (signaturesEqual(computed.signature, provided)) {
    trace.pass('signature', 'the signature matches', { signatureProvided: provided, signatureExpected: computed.signature });
    return undefined;
  }
  return trace.fail(
    'signature',
    'the signature provided is not the one computed with this token\'s secret: the client signed a different method, path, query, signed header value, time or secret',
    {
      reason: 'SignatureDoesNotMatch',
      elements: {
        AWSAccessKeyId: accessKeyId,
        StringToSign: computed.stringToSign,
        SignatureProvided: provided,
        StringToSignBytes: toSpacedHex(computed.stringToSign),
        CanonicalRequest: computed.canonicalRequest,
        CanonicalRequestBytes: toSpacedHex(computed.canonicalRequest),
      },
    },
    { signatureProvided: provided, signatureExpected: computed.signature },
  );
}
