/**
 * The error catalogue: every failure reason the project knows, mapped to S3's status, Code
 * and Message (reference s3-auth.md §6). `Record<ErrorReason, …>` makes the mapping
 * exhaustive: a new reason does not compile until it has an entry here.
 *
 * S3Error is created only at the HTTP edge; src/http/error-xml.ts renders it.
 */
import type { AuthFailure, AuthFailureReason, VerificationStep } from '../auth/types.ts';

/** Reasons that come from operations, storage and request bodies rather than authentication. */
export type OperationErrorReason =
  | 'NoSuchBucket'
  | 'NoSuchKey'
  | 'NoSuchUpload'
  | 'NoSuchCORSConfiguration'
  | 'BucketAlreadyOwnedByYou'
  | 'BucketNotEmpty'
  | 'InvalidBucketName'
  | 'KeyTooLongError'
  | 'InvalidRange'
  | 'PreconditionFailed'
  | 'NotModified'
  | 'MalformedXML'
  | 'InvalidArgument'
  | 'InvalidRequest'
  | 'InvalidPart'
  | 'InvalidPartOrder'
  | 'EntityTooSmall'
  | 'EntityTooLarge'
  | 'MetadataTooLarge'
  | 'MissingContentLength'
  | 'IncompleteBody'
  | 'RequestTimeout' // a client that stops sending its body (src/server.ts SERVER_TIMEOUTS)
  | 'InvalidDigest'
  | 'BadDigest'
  | 'ChecksumInvalid' // x-amz-checksum-* header malformed (row 30)
  | 'ChecksumMismatch' // row 31
  | 'MultipleChecksums'
  | 'XAmzContentSHA256Mismatch'
  | 'ChunkSignatureMismatch'
  | 'MalformedChunkedEncoding'
  | 'TrailerChecksumMissing'
  | 'InvalidCopySource'
  | 'InvalidStorageClass'
  | 'InvalidLocationConstraint' // CreateBucket: not a region, or 'us-east-1' given explicitly
  | 'IllegalLocationConstraintException' // CreateBucket: a region other than the server's
  | 'InvalidPartNumber' // GetObject ?partNumber past the object's parts
  | 'MethodNotAllowed'
  | 'NotImplemented'
  | 'InvalidURI'
  | 'InternalError'
  // POST object (issue 4)
  | 'PostNotMultipart'
  | 'MalformedPOSTRequest'
  | 'PostFieldMissing'
  | 'PostFileCount'
  | 'MaxPostPreDataLengthExceeded'
  | 'InvalidPolicyDocument'
  | 'PolicyExpired'
  | 'PolicyConditionFailed'
  | 'PolicyExtraInputFields'
  | 'PostRegionWrong'
  | 'AccessForbidden'; // CORS preflight refused

export type ErrorReason = AuthFailureReason | OperationErrorReason;

export interface S3ErrorSpec {
  status: number;
  code: string;
  message: string;
}

const SIG_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const INVALID_AKID = 'The AWS Access Key Id you provided does not exist in our records.';

export const S3_ERRORS: Record<ErrorReason, S3ErrorSpec> = {
  // ---- authentication: detection
  AnonymousAccessDenied: { status: 403, code: 'AccessDenied', message: 'Access Denied' },
  MultipleAuthMechanisms: {
    status: 400,
    code: 'InvalidArgument',
    message:
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
  },
  UnsupportedAuthorizationType: { status: 400, code: 'InvalidArgument', message: 'Unsupported Authorization Type' },
  // ---- SigV4 query parameters
  QueryParametersMissing: {
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message:
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
  },
  QueryAlgorithmUnsupported: {
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
  },
  QueryDateMalformed: {
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`,
  },
  QueryExpiresNotNumber: { status: 400, code: 'AuthorizationQueryParametersError', message: 'X-Amz-Expires should be a number' },
  QueryExpiresNegative: { status: 400, code: 'AuthorizationQueryParametersError', message: 'X-Amz-Expires must be non-negative' },
  QueryExpiresTooLarge: {
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message:
      'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
  },
  QueryCredentialMalformed: {
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message:
      'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
  },
  // UNVERIFIED wording (MinIO's); reference §1.10
  QueryCredentialDateMalformed: {
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message:
      'Error parsing the X-Amz-Credential parameter; incorrect date format. This date in the credential must be in the format "yyyyMMdd".',
  },
  // UNVERIFIED: AWS's header-auth wording under the query code; reference §1.10
  QueryCredentialDateMismatch: {
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: 'Invalid credential date. Date is not the same as X-Amz-Date.',
  },
  QueryRegionWrong: { status: 400, code: 'AuthorizationQueryParametersError', message: 'Error parsing the X-Amz-Credential parameter; the region is wrong' },
  // UNVERIFIED wording (MinIO's)
  QueryServiceWrong: {
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: 'Error parsing the X-Amz-Credential parameter; incorrect service. This endpoint belongs to "s3".',
  },
  QueryTerminatorWrong: {
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: 'Error parsing the X-Amz-Credential parameter; incorrect terminal. This endpoint uses "aws4_request".',
  },
  SecurityTokenInvalid: { status: 400, code: 'InvalidToken', message: 'The provided token is malformed or otherwise invalid.' },
  // ---- SigV4 Authorization header
  HeaderMalformed: {
    status: 400,
    code: 'AuthorizationHeaderMalformed',
    message:
      'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.',
  },
  // UNVERIFIED wording; reference §1.10
  HeaderCredentialMalformed: {
    status: 400,
    code: 'AuthorizationHeaderMalformed',
    message:
      'The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
  },
  HeaderCredentialDateMismatch: {
    status: 400,
    code: 'AuthorizationHeaderMalformed',
    message: 'The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.',
  },
  HeaderRegionWrong: { status: 400, code: 'AuthorizationHeaderMalformed', message: 'The authorization header is malformed; the region is wrong' },
  // UNVERIFIED wording
  HeaderServiceWrong: {
    status: 400,
    code: 'AuthorizationHeaderMalformed',
    message: 'The authorization header is malformed; incorrect service. This endpoint belongs to "s3".',
  },
  HeaderTerminatorWrong: {
    status: 400,
    code: 'AuthorizationHeaderMalformed',
    message: 'The authorization header is malformed; incorrect terminal. This endpoint uses "aws4_request".',
  },
  // status UNVERIFIED (reference row 24): 403 as s3-tests expect
  MissingDate: { status: 403, code: 'AccessDenied', message: 'AWS authentication requires a valid Date or x-amz-date header' },
  // UNVERIFIED: AWS's answer to an unparseable date; s3-tests expect 403 AccessDenied
  DateMalformed: { status: 403, code: 'AccessDenied', message: 'AWS authentication requires a valid Date or x-amz-date header' },
  RequestTimeTooSkewed: {
    status: 403,
    code: 'RequestTimeTooSkewed',
    message: 'The difference between the request time and the current time is too large.',
  },
  ContentSha256Missing: { status: 400, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' },
  ContentSha256Invalid: {
    status: 400,
    code: 'InvalidArgument',
    message:
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
  },
  // ---- SigV2
  SigV2QueryParametersMissing: {
    status: 403,
    code: 'AccessDenied',
    message: 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
  },
  // ---- common
  HeadersNotSigned: { status: 403, code: 'AccessDenied', message: 'There were headers present in the request which were not signed' },
  RequestExpired: { status: 403, code: 'AccessDenied', message: 'Request has expired' },
  RequestNotYetValid: { status: 403, code: 'AccessDenied', message: 'Request is not yet valid' },
  AccessKeyUnknown: { status: 403, code: 'InvalidAccessKeyId', message: INVALID_AKID },
  TokenRevoked: { status: 403, code: 'InvalidAccessKeyId', message: INVALID_AKID },
  TokenExpired: { status: 403, code: 'InvalidAccessKeyId', message: INVALID_AKID },
  SignatureDoesNotMatch: { status: 403, code: 'SignatureDoesNotMatch', message: SIG_MISMATCH },
  ScopeDenied: { status: 403, code: 'AccessDenied', message: 'Access Denied' },

  // ---- operations
  NoSuchBucket: { status: 404, code: 'NoSuchBucket', message: 'The specified bucket does not exist' },
  NoSuchKey: { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' },
  NoSuchUpload: {
    status: 404,
    code: 'NoSuchUpload',
    message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  },
  NoSuchCORSConfiguration: { status: 404, code: 'NoSuchCORSConfiguration', message: 'The CORS configuration does not exist' },
  BucketAlreadyOwnedByYou: {
    status: 409,
    code: 'BucketAlreadyOwnedByYou',
    message: 'Your previous request to create the named bucket succeeded and you already own it.',
  },
  BucketNotEmpty: { status: 409, code: 'BucketNotEmpty', message: 'The bucket you tried to delete is not empty' },
  InvalidBucketName: { status: 400, code: 'InvalidBucketName', message: 'The specified bucket is not valid.' },
  KeyTooLongError: { status: 400, code: 'KeyTooLongError', message: 'Your key is too long' },
  InvalidRange: { status: 416, code: 'InvalidRange', message: 'The requested range is not satisfiable' },
  PreconditionFailed: { status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' },
  NotModified: { status: 304, code: 'NotModified', message: 'Not Modified' },
  MalformedXML: {
    status: 400,
    code: 'MalformedXML',
    message: 'The XML you provided was not well-formed or did not validate against our published schema',
  },
  InvalidArgument: { status: 400, code: 'InvalidArgument', message: 'Invalid Argument' },
  InvalidRequest: { status: 400, code: 'InvalidRequest', message: 'Invalid Request' },
  InvalidPart: {
    status: 400,
    code: 'InvalidPart',
    message:
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  },
  InvalidPartOrder: {
    status: 400,
    code: 'InvalidPartOrder',
    message: 'The list of parts was not in ascending order. Parts must be ordered by part number.',
  },
  EntityTooSmall: { status: 400, code: 'EntityTooSmall', message: 'Your proposed upload is smaller than the minimum allowed object size.' },
  EntityTooLarge: { status: 400, code: 'EntityTooLarge', message: 'Your proposed upload exceeds the maximum allowed object size.' },
  MetadataTooLarge: { status: 400, code: 'MetadataTooLarge', message: 'Your metadata headers exceed the maximum allowed metadata size.' },
  MissingContentLength: { status: 411, code: 'MissingContentLength', message: 'You must provide the Content-Length HTTP header.' },
  IncompleteBody: {
    status: 400,
    code: 'IncompleteBody',
    message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.',
  },
  RequestTimeout: {
    status: 400,
    code: 'RequestTimeout',
    message: 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.',
  },
  InvalidDigest: { status: 400, code: 'InvalidDigest', message: 'The Content-MD5 you specified was invalid.' },
  BadDigest: { status: 400, code: 'BadDigest', message: 'The Content-MD5 you specified did not match what we received.' },
  ChecksumInvalid: { status: 400, code: 'InvalidRequest', message: 'Value for x-amz-checksum header is invalid.' },
  ChecksumMismatch: { status: 400, code: 'BadDigest', message: 'The checksum you specified did not match the calculated checksum.' },
  MultipleChecksums: {
    status: 400,
    code: 'InvalidRequest',
    message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
  },
  XAmzContentSHA256Mismatch: {
    status: 400,
    code: 'XAmzContentSHA256Mismatch',
    message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  },
  // UNVERIFIED: AWS's elements for a chunk signature mismatch (reference §3.2); MinIO answers this
  ChunkSignatureMismatch: { status: 403, code: 'SignatureDoesNotMatch', message: SIG_MISMATCH },
  // UNVERIFIED code for broken aws-chunked framing
  MalformedChunkedEncoding: { status: 400, code: 'IncompleteBody', message: 'The request body is not valid aws-chunked encoding.' },
  TrailerChecksumMissing: { status: 400, code: 'MalformedTrailerError', message: 'The request contained trailing data that was not well-formed or did not conform to our published schema.' },
  InvalidCopySource: { status: 400, code: 'InvalidArgument', message: 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey' },
  InvalidStorageClass: { status: 400, code: 'InvalidStorageClass', message: 'The storage class you specified is not valid' },
  InvalidLocationConstraint: { status: 400, code: 'InvalidLocationConstraint', message: 'The specified location-constraint is not valid' },
  IllegalLocationConstraintException: {
    status: 400,
    code: 'IllegalLocationConstraintException',
    message: 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
  },
  InvalidPartNumber: { status: 416, code: 'InvalidPartNumber', message: 'The requested partnumber is not satisfiable' },
  MethodNotAllowed: { status: 405, code: 'MethodNotAllowed', message: 'The specified method is not allowed against this resource.' },
  NotImplemented: { status: 501, code: 'NotImplemented', message: 'A header you provided implies functionality that is not implemented' },
  InvalidURI: { status: 400, code: 'InvalidURI', message: "Couldn't parse the specified URI." },
  InternalError: { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },

  // ---- POST object
  PostNotMultipart: { status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' },
  MalformedPOSTRequest: {
    status: 400,
    code: 'MalformedPOSTRequest',
    message: 'The body of your POST request is not well-formed multipart/form-data.',
  },
  PostFieldMissing: { status: 400, code: 'InvalidArgument', message: 'Bucket POST must contain a field named' },
  PostFileCount: { status: 400, code: 'InvalidArgument', message: 'POST requires exactly one file upload per request.' },
  MaxPostPreDataLengthExceeded: {
    status: 400,
    code: 'MaxPostPreDataLengthExceeded',
    message: 'Your POST request fields preceeding the upload file was too large.',
  },
  InvalidPolicyDocument: { status: 400, code: 'InvalidPolicyDocument', message: 'Invalid Policy: Invalid JSON.' },
  PolicyExpired: { status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' },
  PolicyConditionFailed: { status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy Condition failed' },
  PolicyExtraInputFields: { status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Extra input fields' },
  PostRegionWrong: { status: 400, code: 'InvalidArgument', message: 'the region is wrong' },
  AccessForbidden: { status: 403, code: 'AccessForbidden', message: 'CORSResponse: This CORS request is not allowed.' },
};

/**
 * An S3 error on its way to the client. `elements` are the extra XML elements, in order;
 * `message` overrides the catalogue text where S3's wording embeds request values;
 * `steps` is the verifier's trace (logged, and explained; never in the XML body).
 */
export class S3Error extends Error {
  readonly reason: ErrorReason;
  readonly status: number;
  readonly code: string;
  readonly elements: Record<string, string>;
  readonly headers: Record<string, string>;
  steps?: VerificationStep[];

  constructor(
    reason: ErrorReason,
    opts: { message?: string; elements?: Record<string, string>; headers?: Record<string, string>; cause?: unknown; steps?: VerificationStep[] } = {},
  ) {
    const spec = S3_ERRORS[reason];
    // A refusal is an answer, not a bug: its stack would never be read, and capturing one
    // (through Express and the verifier) cost more than the rest of a 403. 5xx keep theirs.
    const stackTraceLimit = Error.stackTraceLimit;
    if (spec.status < 500) Error.stackTraceLimit = 0;
    super(opts.message ?? spec.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'S3Error';
    this.reason = reason;
    this.status = spec.status;
    this.code = spec.code;
    this.elements = opts.elements ?? {};
    this.headers = opts.headers ?? {};
    this.steps = opts.steps;
  }

  static fromAuthFailure(failure: AuthFailure, steps?: VerificationStep[]): S3Error {
    return new S3Error(failure.reason, { message: failure.message, elements: failure.elements, steps });
  }
}

export function isS3Error(err: unknown): err is S3Error {
  return err instanceof S3Error;
}
