/**
 * The `--init` file (SIGNET_INIT): buckets and tokens created at start, idempotently, so CI
 * jobs and docker-compose users know their credentials before the server starts. Its JSON
 * schema is ./signet-init.schema.json.
 *
 *   {
 *     "$schema": "./node_modules/signet-s3/src/init/signet-init.schema.json",
 *     "buckets": [
 *       "photos",                                                   a name alone
 *       { "name": "uploads", "corsOrigins": ["http://localhost:5173"] },   a permissive CORS rule
 *       { "name": "site", "cors": [ { "allowedOrigins": ["https://*.example.com"],
 *                                     "allowedMethods": ["GET", "PUT"] } ] }  S3's CORS rules
 *     ],
 *     "tokens": [
 *       { "name": "ci", "access": "read-write", "buckets": ["photos"], "prefix": "uploads/",
 *         "expiresIn": "30d", "accessKeyId": "CIKEY0001", "secretAccessKey": "ci-secret-123" }
 *     ]
 *   }
 */
import type { Access } from '../access/types.ts';
import { ConfigError } from '../config.ts';

/** A CORS rule as in PutBucketCors, with the field names of src/http/cors.ts's CorsRule. */
export interface InitCorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: Array<'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD'>;
  /** default: none */
  allowedHeaders?: string[];
  /** default: none */
  exposeHeaders?: string[];
  maxAgeSeconds?: number;
}

export interface InitBucket {
  name: string;
  /** Lets these origins do everything (as `signet bucket create --cors-origin`) */
  corsOrigins?: string[];
  /** The bucket's CORS rules, replacing any it has; not with corsOrigins */
  cors?: InitCorsRule[];
}

export interface InitToken {
  /** Unique in the file: a token without accessKeyId is known by its name */
  name: string;
  access: Access;
  /** Empty or absent = every bucket */
  buckets?: string[];
  prefix?: string;
  /** Seconds, or a duration such as '1h', '7d', from the token's creation */
  expiresIn?: number | string;
  /** Fixed credentials, both or neither; without them both are generated once */
  accessKeyId?: string;
  secretAccessKey?: string;
}

export interface SignetInit {
  $schema?: string;
  /** A name alone, or a bucket with its CORS */
  buckets?: Array<string | InitBucket>;
  tokens?: InitToken[];
}

/**
 * A file or object that cannot be applied; the message names the bad entry. A ConfigError, so
 * that `signet serve` refuses to start with it as one line and exit status 1.
 */
export class InitError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'InitError';
  }
}
