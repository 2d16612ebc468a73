/**
 * What an S3 operation handler receives. Built by the app (src/http/s3-handler.ts) after the request
 * was verified and its address resolved; handlers never look at signatures.
 */
import type { Request, Response } from 'express';
import type { AuthKind, PayloadMode, VerificationStep } from '../auth/types.ts';
import type { AccessRequest, Token } from '../access/types.ts';
import type { Clock, Config } from '../config.ts';
import type { BucketRecord, Storage } from '../storage/types.ts';

export interface Principal {
  kind: AuthKind;
  token: Token;
  payload: PayloadMode;
  steps: VerificationStep[];
}

export interface RequestContext {
  req: Request;
  res: Response;
  config: Readonly<Config>;
  storage: Storage;
  clock: Clock;
  /** The time of this request (clock.now() once, at arrival) */
  now: Date;
  requestId: string;
  /** Decoded bucket name, from the path (path-style) or the Host (virtual-hosted) */
  bucket?: string;
  /** Decoded object key ('' is never a key: undefined when the path names only the bucket) */
  key?: string;
  /** Query parameters decoded from the raw query string, in order; repeated keys kept */
  query: URLSearchParams;
  /** Lower-case header name -> every value in arrival order */
  headers: Record<string, string[]>;
  principal: Principal;
  /**
   * The bucket's row as read with the token, in the same statement, while the request was
   * verified (MetadataStore.getTokenAndBucket): requireBucket uses it instead of reading the
   * bucket again. Only until the operation first yields (the handler then removes it), so that
   * no check ever relies on an older read than it would have made itself.
   */
  bucketRead?: BucketRead;
  /**
   * Checks the principal's token scope for this action; throws S3Error('ScopeDenied') and
   * appends an 'authorize' step to principal.steps either way.
   */
  authorize(request: AccessRequest): void;
}

export interface BucketRead {
  name: string;
  /** undefined: no such bucket */
  record: BucketRecord | undefined;
}

/** First value of a header, or undefined. */
export function header(ctx: Pick<RequestContext, 'headers'>, name: string): string | undefined {
  return ctx.headers[name.toLowerCase()]?.[0];
}
