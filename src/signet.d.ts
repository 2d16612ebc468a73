/**
 * The types of signet's programmatic API (`import { startSignet } from 'signet-s3'`), for
 * consumers: self-contained, so that a project type-checks without signet's own sources or
 * their dev dependencies. The implementation is src/index.ts; `npm run typecheck` checks that
 * it matches these declarations (test/api/declared-types.test.ts).
 */

export type Access = 'read' | 'write' | 'read-write';

export interface StartSignetOptions {
  /** Default: a fresh temp directory, removed by close(). A given directory is kept. */
  dataDir?: string;
  /** Default 0: any free port */
  port?: number;
  /** Default 127.0.0.1 */
  host?: string;
  /** Default us-east-1: the region signatures must name */
  region?: string;
  /** Let `clock.advance/set/reset` move this server's time. Default false. */
  clockControl?: boolean;
  /** Default signetadmin */
  rootAccessKeyId?: string;
  /** Default signetadmin-secret */
  rootSecretAccessKey?: string;
  /** Buckets and tokens to create before the server answers: an init object, or the path of an init file */
  init?: SignetInit | string;
  /** Called once per answered request (never with a secret or a signature) */
  onRequest?: (record: RequestRecord) => void;
}

export interface CreateBucketOptions {
  /** Let browsers from these origins do everything (as `signet bucket create --cors-origin`) */
  corsOrigins?: string[];
}

export interface CreateTokenOptions {
  name: string;
  access: Access;
  /** Limit to these buckets (default: every bucket) */
  buckets?: string[];
  /** Limit to keys starting with this prefix */
  prefix?: string;
  /** Seconds, or a duration such as '15m', '1h', '7d', from the server's "now" */
  expiresIn?: number | string;
  /** Fixed credentials (both or neither); default: generated */
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** `signet token create --json`'s document: the only place a token's secret is shown. */
export interface CreatedTokenJson {
  accessKeyId: string;
  secretAccessKey: string;
  name: string;
  access: Access;
  buckets: string[];
  prefix: string | null;
  expiresAt: string | null;
}

export interface ExplainOptions {
  /** Default GET */
  method?: string;
  /** Headers as sent: an object, or [name, value] pairs in order */
  headers?: Record<string, string | string[]> | ReadonlyArray<readonly [string, string]>;
}

export interface SignetClock {
  /** Moves the server's "now" forward by ms, or by a duration such as '2h' ('-30m' moves back) */
  advance(by: number | string): Date;
  /** Sets the server's "now" (a Date or ISO 8601 text); time keeps running from there */
  set(at: Date | string): Date;
  /** Back to the real time */
  reset(): Date;
  /** The server's "now" */
  now(): Date;
}

export interface Signet {
  /** e.g. http://127.0.0.1:43817 (path-style S3 endpoint; use forcePathStyle with the SDKs) */
  endpoint: string;
  port: number;
  region: string;
  dataDir: string;
  /** The root token: full access to every bucket */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The init file's tokens by name, with their keys */
  tokens: Record<string, CreatedTokenJson>;
  /** Creates a bucket; succeeds when it already exists */
  createBucket(name: string, options?: CreateBucketOptions): Promise<{ name: string; created: boolean; corsOrigins: string[] }>;
  /** Creates a token; the result is `signet token create --json`'s */
  createToken(options: CreateTokenOptions): Promise<CreatedTokenJson>;
  /** Every request and URL the token signed is refused from the next request on */
  revokeToken(accessKeyId: string): Promise<{ accessKeyId: string; revoked: true }>;
  clock: SignetClock;
  /** What the server would answer to this request, step by step: `signet explain --json`'s report */
  explain(url: string, options?: ExplainOptions): ExplainReport;
  /** Stops the server (requests in flight finish), closes the database, removes a temp data dir */
  close(): Promise<void>;
}

export declare function startSignet(options?: StartSignetOptions): Promise<Signet>;

/** An init file or object that cannot be applied; the message names the bad entry. */
export declare class InitError extends Error {}

// --init (src/init/signet-init.schema.json)

export interface InitCorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: Array<'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD'>;
  allowedHeaders?: string[];
  exposeHeaders?: string[];
  maxAgeSeconds?: number;
}

export interface InitBucket {
  name: string;
  /** Lets these origins do everything; not with cors */
  corsOrigins?: string[];
  /** The bucket's CORS rules; not with corsOrigins */
  cors?: InitCorsRule[];
}

export interface InitToken {
  /** Unique in the file: a token without accessKeyId is known by its name */
  name: string;
  access: Access;
  buckets?: string[];
  prefix?: string;
  /** Seconds, or a duration such as '1h', '7d', from the token's creation */
  expiresIn?: number | string;
  /** Fixed credentials, both or neither */
  accessKeyId?: string;
  secretAccessKey?: string;
}

export interface SignetInit {
  $schema?: string;
  buckets?: Array<string | InitBucket>;
  tokens?: InitToken[];
}

// What the server reports about each request, and what explain returns

export interface VerificationStep {
  /** detect, parse, scope, token, signed-headers, time, payload, canonical-request, string-to-sign, signature, policy, authorize */
  name: string;
  ok: boolean;
  summary: string;
  detail: Record<string, string>;
}

export interface RequestRecord {
  requestId: string;
  time: string;
  method: string;
  /** Path only: the query (with its signatures) is never recorded */
  path: string;
  bucket?: string;
  key?: string;
  authKind?: string;
  accessKeyId?: string;
  operation?: string;
  status: number;
  errorCode?: string;
  steps?: VerificationStep[];
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
}

export interface ExplainReport {
  request: {
    method: string;
    url: string;
    host: string;
    rawPath: string;
    rawQuery: string;
    headers: Record<string, string[]>;
    addressing: 'path' | 'virtual';
    bucket?: string;
    key?: string;
  };
  server: { region: string; now: string; clockOffsetMs: number };
  /** anonymous, sigv4-header, sigv4-query, sigv2-header, sigv2-query, post-sigv4, post-sigv2 */
  mechanism: string;
  accessKeyId?: string;
  steps: VerificationStep[];
  verdict: 'accepted' | 'refused';
  /** The S3 error the server would answer, when refused */
  error?: { status: number; code: string; message: string; elements: Record<string, string> };
  operation?: string;
  hints: Array<{ id: string; message: string; differences?: Array<{ line: number; signed: string; sent: string }> }>;
}
