/** Tokens and what they may do. Pure types. */

export type Access = 'read' | 'write' | 'read-write';

/**
 * A credential pair with a scope. The root token (from SIGNET_ROOT_*) has access
 * 'read-write', no bucket list (= every bucket) and no prefix, and may also manage buckets.
 */
export interface Token {
  accessKeyId: string;
  secretAccessKey: string;
  name: string;
  access: Access;
  /** Empty = every bucket. */
  buckets: string[];
  /** null = every key. */
  prefix: string | null;
  /** ISO 8601, or null = never. */
  expiresAt: string | null;
  /** ISO 8601 when revoked, else null. */
  revokedAt: string | null;
  createdAt: string;
  root: boolean;
}

/** The token as listed: everything but the secret. */
export type TokenSummary = Omit<Token, 'secretAccessKey'>;

/**
 * What a request wants to do, as the authorizer sees it.
 *   read   GET/HEAD object, ListObjects, ListParts, GetBucketCors...
 *   write  PUT/POST/DELETE object, multipart, CopyObject destination
 *   admin  CreateBucket, DeleteBucket, PutBucketCors (root token, or a token whose
 *          `buckets` names the bucket and whose access includes write)
 *   list-buckets  ListBuckets (every valid token; the list is filtered to its buckets)
 */
export type ActionKind = 'read' | 'write' | 'admin' | 'list-buckets';

export interface AccessRequest {
  action: ActionKind;
  bucket?: string;
  /** The object key, or the listing prefix for ListObjects (''= whole bucket). */
  key?: string;
}
