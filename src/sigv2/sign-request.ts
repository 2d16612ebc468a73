/**
 * The client side of SigV2, for tests and documentation: the same string-to-sign functions the
 * verifier uses, applied the way botocore's HmacV1Auth and HmacV1QueryAuth apply them.
 *
 *   header   Authorization: AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=
 *   query    ?<query as given>&<hoisted headers>&AWSAccessKeyId=AKIA…&Expires=1175139620&Signature=…%3D
 */
import type { SignableRequest } from '../auth/types.ts';
import { QUERY_V2, isHoistedQueryHeader } from './constants.ts';
import { signV2 } from './signature.ts';
import { createHeaderStringToSign, createQueryStringToSign } from './string-to-sign.ts';

export interface SigV2Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedV2 {
  stringToSign: string;
  signature: string;
}

/**
 * Signs a request for header auth. The request must already carry its Date (or x-amz-date)
 * header; the standard form is used (an x-amz-date empties the Date line).
 */
export function signV2Headers(req: SignableRequest, credentials: SigV2Credentials): SignedV2 & { authorization: string } {
  const stringToSign = createHeaderStringToSign(req);
  const signature = signV2(credentials.secretAccessKey, stringToSign);
  return { stringToSign, signature, authorization: `AWS ${credentials.accessKeyId}:${signature}` };
}

/**
 * Presigns a request. `req.headers` are the headers the URL is meant for (Content-Type,
 * x-amz-meta-*…): they are signed and, as botocore does, copied into the query so that the URL
 * works without them. `expires` is absolute, in seconds since the epoch. Returns the new raw
 * query string (the request's own query first).
 */
export function presignV2Url(req: SignableRequest, credentials: SigV2Credentials, expires: number): SignedV2 & { rawQuery: string } {
  const expiresText = String(Math.trunc(expires));
  const stringToSign = createQueryStringToSign(req, expiresText);
  const signature = signV2(credentials.secretAccessKey, stringToSign);
  const added: [string, string][] = [];
  for (const [name, values] of Object.entries(req.headers)) {
    const lower = name.toLowerCase();
    if (isHoistedQueryHeader(lower)) for (const value of values) added.push([lower, value]);
  }
  added.push([QUERY_V2.accessKeyId, credentials.accessKeyId], [QUERY_V2.expires, expiresText], [QUERY_V2.signature, signature]);
  const addedQuery = added.map(([k, v]) => `${encodeQueryComponent(k)}=${encodeQueryComponent(v)}`).join('&');
  return { stringToSign, signature, rawQuery: req.rawQuery ? `${req.rawQuery}&${addedQuery}` : addedQuery };
}

/** RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes. */
function encodeQueryComponent(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
