/**
 * SigV4 names and limits, as AWS spells them (reference s3-auth.md §1, §2).
 *
 * Query parameter names are matched exactly as written here: S3 does not recognise
 * `x-amz-algorithm` as the presigned algorithm parameter.
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** The service in every credential scope signet accepts. The AWS test suite uses "service". */
export const S3_SERVICE = 's3';
export const SCOPE_TERMINATOR = 'aws4_request';

/** The presigned-URL parameters (§2.1). */
export const QUERY = {
  algorithm: 'X-Amz-Algorithm',
  credential: 'X-Amz-Credential',
  date: 'X-Amz-Date',
  expires: 'X-Amz-Expires',
  signedHeaders: 'X-Amz-SignedHeaders',
  signature: 'X-Amz-Signature',
  securityToken: 'X-Amz-Security-Token',
  /** JS v3 hoists it into the query (§1.7); matched case-insensitively, it is not an auth parameter. */
  contentSha256: 'X-Amz-Content-Sha256',
} as const;

/** All six must be present in a SigV4 presigned URL, or none (§2.1, row 6). */
export const PRESIGN_REQUIRED_PARAMS: readonly string[] = [
  QUERY.algorithm,
  QUERY.credential,
  QUERY.signature,
  QUERY.date,
  QUERY.signedHeaders,
  QUERY.expires,
];

/** Lower-case header names. */
export const HEADER = {
  authorization: 'authorization',
  host: 'host',
  date: 'date',
  amzDate: 'x-amz-date',
  contentSha256: 'x-amz-content-sha256',
  securityToken: 'x-amz-security-token',
} as const;

/** `AWS4-HMAC-SHA256 Credential=…` — the space is part of the scheme test. */
export const AUTHORIZATION_V4_PREFIX = `${ALGORITHM} `;
/** SigV2: `AWS AKID:signature`. */
export const AUTHORIZATION_V2_PREFIX = 'AWS ';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_PAYLOAD_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_PAYLOAD_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
/** SigV4a streaming values: S3 accepts them, signet does not implement SigV4a. */
export const STREAMING_ECDSA_PAYLOAD = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD';
export const STREAMING_ECDSA_PAYLOAD_TRAILER = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER';

/** SHA-256 of the empty string. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * A "valid sha256 value" for x-amz-content-sha256 (§1.7). Whether S3 accepts upper-case hex is
 * UNVERIFIED; signet accepts it (as MinIO does) and compares the body hash case-insensitively.
 */
export const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** X-Amz-Expires upper bound in seconds: 7 days, inclusive (§2.3). */
export const MAX_PRESIGN_EXPIRES = 604800;
/** Header auth: |now - request time| may not exceed 15 minutes (§1.12). */
export const MAX_SKEW_MS = 900000;
/**
 * How far in the future a presigned X-Amz-Date may be before "Request is not yet valid".
 * UNVERIFIED (§2.4): AWS's tolerance is unknown; signet allows the header-auth skew, as MinIO.
 */
export const PRESIGN_FUTURE_TOLERANCE_MS = MAX_SKEW_MS;

/** `yyyyMMdd'T'HHmmss'Z'`, the X-Amz-Date format. */
export const AMZ_DATE_FORMAT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** `yyyyMMdd`, the credential-scope date. */
export const SHORT_DATE_FORMAT = /^(\d{4})(\d{2})(\d{2})$/;
