/**
 * Conditional requests on an object (RFC 7232 with S3's precedence), for GetObject/HeadObject
 * (If-*) and for the source of CopyObject/UploadPartCopy (x-amz-copy-source-if-*):
 *
 *   1. If-Match            no match                      -> 412
 *   2. If-Unmodified-Since modified since (only when If-Match is absent) -> 412
 *   3. If-None-Match       a match                       -> 304 (GET/HEAD), 412 (copy source)
 *   4. If-Modified-Since   not modified (only when If-None-Match is absent) -> 304 / 412
 *
 * So If-Match true + If-Unmodified-Since false -> 200, and If-None-Match false (the ETag
 * matches) + If-Modified-Since true -> 304, as the GetObject and CopyObject references state.
 * Unparseable dates are ignored, as HTTP says.
 */
import type { ObjectRecord } from '../../storage/types.ts';
import { S3Error } from '../s3-errors.ts';
import { httpDate, unquoteEtag } from './common.ts';
import { headerOf } from './object-metadata.ts';

interface ConditionNames {
  ifMatch: string;
  ifNoneMatch: string;
  ifModifiedSince: string;
  ifUnmodifiedSince: string;
}

/** Header names as S3 writes them in the Condition element. */
const GET_CONDITIONS: ConditionNames = {
  ifMatch: 'If-Match',
  ifNoneMatch: 'If-None-Match',
  ifModifiedSince: 'If-Modified-Since',
  ifUnmodifiedSince: 'If-Unmodified-Since',
};

const COPY_SOURCE_CONDITIONS: ConditionNames = {
  ifMatch: 'x-amz-copy-source-If-Match',
  ifNoneMatch: 'x-amz-copy-source-If-None-Match',
  ifModifiedSince: 'x-amz-copy-source-If-Modified-Since',
  ifUnmodifiedSince: 'x-amz-copy-source-If-Unmodified-Since',
};

type Outcome = { ok: true } | { ok: false; status: 304 | 412; condition: string };

function evaluate(record: ObjectRecord, headers: Record<string, string[]>, names: ConditionNames): Outcome {
  const get = (name: string) => headerOf(headers, name.toLowerCase());
  const ifMatch = get(names.ifMatch);
  const ifNoneMatch = get(names.ifNoneMatch);
  const ifModifiedSince = parseHttpDate(get(names.ifModifiedSince));
  const ifUnmodifiedSince = parseHttpDate(get(names.ifUnmodifiedSince));
  // HTTP dates have whole seconds; compare the object's time at that precision.
  const modified = Math.floor(Date.parse(record.lastModified) / 1000) * 1000;

  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, record.etag)) return { ok: false, status: 412, condition: names.ifMatch };
  } else if (ifUnmodifiedSince !== undefined && modified > ifUnmodifiedSince) {
    return { ok: false, status: 412, condition: names.ifUnmodifiedSince };
  }
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, record.etag)) return { ok: false, status: 304, condition: names.ifNoneMatch };
  } else if (ifModifiedSince !== undefined && modified <= ifModifiedSince) {
    return { ok: false, status: 304, condition: names.ifModifiedSince };
  }
  return { ok: true };
}

/** Throws 412 PreconditionFailed or 304 NotModified when GetObject/HeadObject's conditions fail. */
export function checkGetConditions(record: ObjectRecord, headers: Record<string, string[]>): void {
  const outcome = evaluate(record, headers, GET_CONDITIONS);
  if (outcome.ok) return;
  if (outcome.status === 304) {
    throw new S3Error('NotModified', { headers: { ETag: record.etag, 'Last-Modified': httpDate(record.lastModified) } });
  }
  throw preconditionFailed(outcome.condition);
}

/** A copy has no 304: every failed copy-source condition is 412 PreconditionFailed. */
export function checkCopySourceConditions(record: ObjectRecord, headers: Record<string, string[]>): void {
  const outcome = evaluate(record, headers, COPY_SOURCE_CONDITIONS);
  if (!outcome.ok) throw preconditionFailed(outcome.condition);
}

function preconditionFailed(condition: string): S3Error {
  return new S3Error('PreconditionFailed', { elements: { Condition: condition } });
}

/** '*' or a comma-separated list of (possibly weak, possibly unquoted) ETags. */
function etagListMatches(list: string, etag: string): boolean {
  const wanted = unquoteEtag(etag);
  return list.split(',').some((candidate) => {
    const c = candidate.trim();
    return c === '*' || unquoteEtag(c) === wanted;
  });
}

function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}
