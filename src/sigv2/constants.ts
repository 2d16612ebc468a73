/**
 * SigV2 names and limits (reference s3-auth.md §4). Every UNVERIFIED choice about SigV2 lives
 * in this file or is named here.
 */

/** `Authorization: AWS <AKID>:<base64 signature>` — the space is part of the scheme test. */
export const AUTHORIZATION_V2_PREFIX = 'AWS ';

/** Query-string authentication parameters, matched case-sensitively as S3 does. */
export const QUERY_V2 = {
  accessKeyId: 'AWSAccessKeyId',
  expires: 'Expires',
  signature: 'Signature',
} as const;

export const QUERY_V2_PARAMS: readonly string[] = [QUERY_V2.accessKeyId, QUERY_V2.expires, QUERY_V2.signature];

/** Lower-case header names. */
export const HEADER_V2 = {
  authorization: 'authorization',
  contentMd5: 'content-md5',
  contentType: 'content-type',
  date: 'date',
  amzDate: 'x-amz-date',
  securityToken: 'x-amz-security-token',
} as const;

export const AMZ_HEADER_PREFIX = 'x-amz-';

/** Header auth: |now - request time| may not exceed 15 minutes (§4, as SigV4 §1.12). */
export const MAX_SKEW_MS = 900000;

/**
 * The query parameters that belong to the CanonicalizedResource. The AWS document's list (acl,
 * lifecycle, location, logging, notification, partNumber, policy, requestPayment, torrent,
 * uploadId, uploads, versionId, versioning, versions, website, delete, the response-*
 * overrides) is a subset of botocore's `HmacV1Auth.QSAOfInterest`, and aws-sdk-js v2's list is
 * too, so this is botocore's list. A name outside it is not signed by any client.
 */
export const SUB_RESOURCES: ReadonlySet<string> = new Set([
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'defaultObjectAcl',
  'delete',
  'inventory',
  'lifecycle',
  'location',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'partNumber',
  'policy',
  'replication',
  'requestPayment',
  'restore',
  'select',
  'select-type',
  'storageClass',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
]);

/**
 * Query auth: botocore's HmacV1QueryAuth signs these request headers and then copies them into
 * the query string, so the URL works without sending them. The verifier reads them back from
 * the query when the request does not carry the header itself (a header sent with the request
 * wins: LocalStack does the same in its AWS-validated SigV2 tests; AWS's rule is UNVERIFIED).
 */
export function isHoistedQueryHeader(lowerName: string): boolean {
  return lowerName.startsWith(AMZ_HEADER_PREFIX) || lowerName === HEADER_V2.contentMd5 || lowerName === HEADER_V2.contentType;
}

/**
 * `Expires` must be an integer count of seconds since the epoch. What AWS answers otherwise is
 * UNVERIFIED: Swift's s3api and s3rver answer 403 AccessDenied with this message (a
 * user-reported AWS response has the same text), so signet does too.
 */
export const EXPIRES_FORMAT = /^\d+$/;
export function expiresMalformedMessage(expires: string): string {
  return `Invalid date (should be seconds since epoch): ${expires}`;
}

/**
 * A malformed `AWS …` Authorization header (no colon, empty key or signature, extra spaces).
 * 400 InvalidArgument with ArgumentName/ArgumentValue, in Swift's s3api and s3rver wording;
 * AWS's text is UNVERIFIED.
 */
export const AUTHORIZATION_V2_MALFORMED_MESSAGE = 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature';
