/**
 * The signer: SigV4 presigned URLs and Authorization headers, for tests, docs and the CLI's
 * demo helpers. It runs the very stages the verifier runs (canonical-request.ts,
 * string-to-sign.ts, signing-key.ts via signature.ts); the verifier never calls it.
 *
 * It does not validate its inputs (an X-Amz-Expires of a month, a wrong region), so tests can
 * produce every kind of bad request.
 */
import { ALGORITHM, HEADER, QUERY, S3_SERVICE } from './constants.ts';
import { createCanonicalQuery, createCanonicalUri, createSignedHeaders, splitSignedHeaders } from './canonical-request.ts';
import { presignedPayloadHash } from './payload.ts';
import { parseRawQuery } from './query.ts';
import { computeSignature } from './signature.ts';
import { deriveSigningKey } from './signing-key.ts';
import { createCredentialScope } from './string-to-sign.ts';
import { formatAmzDate } from './time.ts';
import { uriEncode } from './uri-encode.ts';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Default 's3'. */
  service?: string;
}

export interface PresignUrlInput extends SigningCredentials {
  method: string;
  /** A full http(s) URL; its path is signed as S3 reads it, without normalisation. */
  url: string;
  now: Date;
  /** X-Amz-Expires in seconds. */
  expiresIn: number;
  /** Headers the user of the URL must send with exactly these values; host is always signed. */
  signedHeaders?: Record<string, string>;
  /** Extra query parameters (decoded), signed like any other. */
  query?: Record<string, string>;
}

interface SplitUrl {
  origin: string;
  host: string;
  path: string;
  rawQuery: string;
}

/**
 * Splits a URL by hand: WHATWG URL would resolve `..` and `.` segments, which are real
 * key characters to S3. The Host to sign drops a default port, as clients send it.
 */
function splitUrl(url: string): SplitUrl {
  const m = /^(https?):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/i.exec(url);
  if (!m) throw new TypeError(`not an http(s) URL: ${url}`);
  const scheme = m[1].toLowerCase();
  const authority = m[2].replace(/^[^@]*@/, '');
  const defaultPort = scheme === 'https' ? ':443' : ':80';
  const host = (authority.endsWith(defaultPort) ? authority.slice(0, -defaultPort.length) : authority).toLowerCase();
  return { origin: `${scheme}://${authority}`, host, path: m[3], rawQuery: m[4] ?? '' };
}

function encodeQuery(query: Record<string, string>): string[] {
  return Object.entries(query).map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`);
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function asHeaderLists(headers: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
}

/**
 * A presigned URL: the given query, then X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
 * X-Amz-Expires, X-Amz-SignedHeaders, and X-Amz-Signature last (botocore's order). The path
 * is written in its canonical encoding (a raw '+' there means a space, as S3 reads it).
 */
export function presignUrl(input: PresignUrlInput): string {
  const service = input.service ?? S3_SERVICE;
  const url = splitUrl(input.url);
  const amzDate = formatAmzDate(input.now);
  const scope = createCredentialScope(amzDate.slice(0, 8), input.region, service);
  const headers = { ...lowerCaseKeys(input.signedHeaders ?? {}), [HEADER.host]: url.host };
  const signedHeaders = createSignedHeaders(Object.keys(headers));
  const rawQuery = [
    ...(url.rawQuery ? [url.rawQuery] : []),
    ...encodeQuery(input.query ?? {}),
    ...encodeQuery({
      [QUERY.algorithm]: ALGORITHM,
      [QUERY.credential]: `${input.accessKeyId}/${scope}`,
      [QUERY.date]: amzDate,
      [QUERY.expires]: String(input.expiresIn),
      [QUERY.signedHeaders]: signedHeaders,
    }),
  ].join('&');
  const headerLists = asHeaderLists(headers);
  const { payloadHash } = presignedPayloadHash(parseRawQuery(rawQuery), headerLists, splitSignedHeaders(signedHeaders));
  const { signature } = computeSignature({
    method: input.method,
    rawPath: url.path,
    canonicalQuery: createCanonicalQuery(rawQuery, { exclude: [QUERY.signature] }),
    headers: headerLists,
    signedHeaders,
    payloadHash,
    amzDate,
    credentialScope: scope,
    signingKey: deriveSigningKey(input.secretAccessKey, amzDate.slice(0, 8), input.region, service),
  });
  return `${url.origin}${createCanonicalUri(url.path)}?${rawQuery}&${QUERY.signature}=${signature}`;
}

export interface SignRequestInput extends SigningCredentials {
  method: string;
  url: string;
  /** Every header here is signed, along with host, x-amz-date and x-amz-content-sha256. */
  headers?: Record<string, string>;
  /** x-amz-content-sha256: the body's hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* value. */
  payloadHash: string;
  now: Date;
}

export interface SignedRequest {
  /** Lower-case names: the given headers plus host, x-amz-date, x-amz-content-sha256, authorization. */
  headers: Record<string, string>;
  signature: string;
  canonicalRequest: string;
  stringToSign: string;
}

/** Header auth: `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export function signRequest(input: SignRequestInput): SignedRequest {
  const service = input.service ?? S3_SERVICE;
  const url = splitUrl(input.url);
  const amzDate = formatAmzDate(input.now);
  const scope = createCredentialScope(amzDate.slice(0, 8), input.region, service);
  const headers: Record<string, string> = {
    [HEADER.host]: url.host,
    ...lowerCaseKeys(input.headers ?? {}),
    [HEADER.amzDate]: amzDate,
    [HEADER.contentSha256]: input.payloadHash,
  };
  const signedHeaders = createSignedHeaders(Object.keys(headers));
  const computed = computeSignature({
    method: input.method,
    rawPath: url.path,
    canonicalQuery: createCanonicalQuery(url.rawQuery),
    headers: asHeaderLists(headers),
    signedHeaders,
    payloadHash: input.payloadHash,
    amzDate,
    credentialScope: scope,
    signingKey: deriveSigningKey(input.secretAccessKey, amzDate.slice(0, 8), input.region, service),
  });
  const authorization = `${ALGORITHM} Credential=${input.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${computed.signature}`;
  return { ...computed, headers: { ...headers, [HEADER.authorization]: authorization } };
}

/** signRequest's headers only. */
export function signRequestHeaders(input: SignRequestInput): Record<string, string> {
  return signRequest(input).headers;
}
