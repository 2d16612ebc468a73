/**
 * Types shared by every authentication mechanism (SigV4 header and query, SigV2 header and
 * query, POST policy forms). Pure: no Express, fs, SQLite, clock or env.
 *
 * The verifiers take a {@link SignableRequest} captured from the wire before any routing or
 * rewriting, and a {@link VerifyContext} carrying time, region and the token lookup. They
 * never throw for bad input: they return a {@link VerifyResult} whose `steps` are the trace
 * that the server's error body, the request log and `signet explain` all show.
 */
import type { Token } from '../access/types.ts';

/**
 * A request exactly as it was received.
 *
 *   rawPath   "/bucket/a%20b"         the request-target's path, undecoded, never normalised
 *   rawQuery  "X-Amz-Date=...&x-id=1" everything after the first '?', '' when none
 *   headers   { host: ["127.0.0.1:9000"], "x-amz-meta-a": ["1", "2"] }
 *             lower-case names; every value in arrival order (Node's req.headersDistinct),
 *             because SigV4 joins duplicates with ',' in the order received.
 */
export interface SignableRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string[]>;
  /**
   * The bucket named by the Host header for virtual-hosted requests (BUCKET.localhost:9000),
   * else undefined. SigV2's CanonicalizedResource needs it ("/bucket" + path); SigV4 signs the
   * path as received and never needs it.
   */
  virtualHostBucket?: string;
}

export type AuthKind =
  | 'anonymous'
  | 'sigv4-header'
  | 'sigv4-query'
  | 'sigv2-header'
  | 'sigv2-query'
  | 'post-sigv4'
  | 'post-sigv2';

export type StepName =
  | 'detect'
  | 'parse'
  | 'scope'
  | 'token'
  | 'signed-headers'
  | 'time'
  | 'payload'
  | 'canonical-request'
  | 'string-to-sign'
  | 'signature'
  | 'policy'
  | 'authorize';

/**
 * One step of verification, as shown to people. `detail` values are display strings.
 * Never put a secret, a derived signing key or (for logs) a full signature in here except the
 * explicit `signatureProvided` / `signatureExpected` entries of the 'signature' step, which the
 * request log redacts.
 */
export interface VerificationStep {
  name: StepName;
  ok: boolean;
  summary: string;
  detail: Record<string, string>;
}

/**
 * Every reason a request can fail authentication or authorization. Finer than S3's error
 * codes: several reasons share one code (see src/http/s3-errors.ts, which maps each of them,
 * exhaustively, to status + Code + Message).
 */
export type AuthFailureReason =
  // detection
  | 'AnonymousAccessDenied' // no credentials at all -> 403 AccessDenied
  | 'MultipleAuthMechanisms' // 400 InvalidArgument "Only one auth mechanism allowed..."
  | 'UnsupportedAuthorizationType' // 400 InvalidArgument "Unsupported Authorization Type"
  // SigV4 query parameters
  | 'QueryParametersMissing' // 400 AuthorizationQueryParametersError (row 6)
  | 'QueryAlgorithmUnsupported' // row 8
  | 'QueryDateMalformed' // row 7
  | 'QueryExpiresNotNumber' // row 5
  | 'QueryExpiresNegative' // row 4
  | 'QueryExpiresTooLarge' // row 3
  | 'QueryCredentialMalformed' // row 9
  | 'QueryCredentialDateMalformed'
  | 'QueryCredentialDateMismatch'
  | 'QueryRegionWrong' // row 10, detail.Region
  | 'QueryServiceWrong'
  | 'QueryTerminatorWrong'
  | 'SecurityTokenInvalid' // row 32 (signet issues no session tokens)
  // SigV4 Authorization header
  | 'HeaderMalformed' // row 14
  | 'HeaderCredentialMalformed'
  | 'HeaderCredentialDateMismatch' // row 13
  | 'HeaderRegionWrong' // row 11, detail.Region
  | 'HeaderServiceWrong'
  | 'HeaderTerminatorWrong'
  | 'MissingDate' // row 24
  | 'DateMalformed'
  | 'RequestTimeTooSkewed' // row 23
  | 'ContentSha256Missing' // row 25
  | 'ContentSha256Invalid' // row 26
  // SigV2
  | 'SigV2QueryParametersMissing'
  // common
  | 'HeadersNotSigned' // row 22, detail.HeadersNotSigned
  | 'RequestExpired' // row 1
  | 'RequestNotYetValid' // row 2
  | 'AccessKeyUnknown' // row 18
  | 'TokenRevoked' // row 18 (signet design, reference 6.3)
  | 'TokenExpired' // row 18 (signet design, reference 6.3)
  | 'SignatureDoesNotMatch' // rows 19-21
  | 'ScopeDenied'; // row 51: token may not do this (access, bucket, prefix)

/**
 * A failure: one named reason, plus the extra XML elements S3 returns with it, in order
 * (e.g. { 'X-Amz-Expires': '60', Expires: '...', ServerTime: '...' }). `message` overrides
 * the catalogue's message only where S3's text embeds request values.
 */
export interface AuthFailure {
  reason: AuthFailureReason;
  message?: string;
  elements: Record<string, string>;
}

/** How the request body is covered by the signature, decided by the verifier. */
export type PayloadMode =
  | { type: 'unsigned' }
  | { type: 'sha256'; expectedHex: string }
  | {
      type: 'streaming-signed';
      trailer: boolean;
      /** Everything the aws-chunked decoder needs to check chunk signatures. Never logged. */
      signing: ChunkSigningContext;
    }
  | { type: 'streaming-unsigned-trailer' };

export interface ChunkSigningContext {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

export type VerifyResult =
  | {
      ok: true;
      kind: AuthKind;
      accessKeyId: string;
      token: Token;
      payload: PayloadMode;
      steps: VerificationStep[];
    }
  | {
      ok: false;
      kind: AuthKind;
      accessKeyId?: string;
      failure: AuthFailure;
      steps: VerificationStep[];
    };

/** What a verifier may know about the world: all of it passed in. */
export interface VerifyContext {
  now: Date;
  region: string;
  /** Reads the token store on every call (no cache: a revoke applies to the next request). */
  lookupToken(accessKeyId: string): Token | undefined;
}
