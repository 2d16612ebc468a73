/**
 * What `signet explain` (and the inspector's explain form) takes and returns. Pure types.
 *
 * The report is built only from the verifier's own trace and from re-running that verifier on
 * variants of the request: it holds no secret and no derived signing key, as the trace holds
 * none.
 */
import type { AuthKind, VerificationStep } from '../auth/types.ts';
import type { Token } from '../access/types.ts';

export interface ExplainInput {
  /** The URL as typed: its raw path and raw query are used as they are, never re-encoded. */
  url: string;
  /** Default 'GET'. */
  method?: string;
  /**
   * Header lines in the order they are sent. A `host` here replaces the Host taken from the
   * URL's authority; a name given several times keeps every value, in order.
   */
  headers?: ReadonlyArray<readonly [name: string, value: string]>;
}

/** What the server would know: all of it passed in, as for the verifier. */
export interface ExplainDeps {
  /** The server's "now" (with a `signet clock` offset already applied when the server honours it). */
  now: Date;
  region: string;
  lookupToken(accessKeyId: string): Token | undefined;
  /** The `signet clock` offset the server applies, in ms (0 or absent: none). Used in hints only. */
  clockOffsetMs?: number;
  /** Whether a bucket exists; when given, an accepted request for a missing bucket gets a hint. */
  bucketExists?(bucket: string): boolean;
  /** Whether an object exists; when given, an accepted read of a missing key gets a hint. */
  objectExists?(bucket: string, key: string): boolean;
}

export type HintId =
  | 'anonymous'
  | 'multiple-auth'
  | 'sigv2'
  | 'sigv2-content-type'
  | 'region-wrong'
  | 'session-token'
  | 'token-unknown'
  | 'token-revoked'
  | 'token-expired'
  | 'token-scope'
  | 'headers-not-signed'
  | 'url-expired'
  | 'clock-skew'
  | 'host-rewritten'
  | 'addressing-style'
  | 'method-mismatch'
  | 'content-type-differs'
  | 'content-type-unsigned'
  | 'path-encoding'
  | 'query-changed'
  | 'empty-body-crc32'
  | 'signature-mismatch'
  | 'no-such-bucket'
  | 'no-such-key';

/** One line that differs between what was signed and what was sent (1-based line number). */
export interface LineDifference {
  line: number;
  signed: string;
  sent: string;
}

/** A trap recognised from the evidence, worded as a fix. */
export interface Hint {
  id: HintId;
  message: string;
  /**
   * Present when a variant of the request verified: the lines of the canonical request (SigV4)
   * or string to sign (SigV2) that differ between the variant (what was signed) and the
   * request as sent.
   */
  differences?: LineDifference[];
}

export interface ExplainedRequest {
  method: string;
  url: string;
  /** The Host header the server would see */
  host: string;
  rawPath: string;
  rawQuery: string;
  /** Lower-case name -> values in the order given */
  headers: Record<string, string[]>;
  addressing: 'path' | 'virtual';
  bucket?: string;
  key?: string;
}

export interface ExplainError {
  status: number;
  code: string;
  message: string;
  elements: Record<string, string>;
}

export interface ExplainReport {
  request: ExplainedRequest;
  server: { region: string; now: string; clockOffsetMs: number };
  mechanism: AuthKind;
  accessKeyId?: string;
  /** The verifier's steps, then the 'authorize' step(s) for the operation the request would run */
  steps: VerificationStep[];
  verdict: 'accepted' | 'refused';
  /** The S3 error the server would answer, when refused */
  error?: ExplainError;
  /** The S3 operation the request would run, once authenticated */
  operation?: string;
  hints: Hint[];
}
