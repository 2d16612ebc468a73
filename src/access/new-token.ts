/**
 * Making a new token: the one implementation behind `signet token create`, the programmatic
 * API's `createToken` and the tokens of an `--init` file. Pure: `now` comes in as an argument,
 * and problems are returned as one sentence naming the bad field, never thrown.
 */
import { randomBytes } from 'node:crypto';
import { bucketNameProblem } from '../bucket-name.ts';
import type { Access, Token } from './types.ts';

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const ACCESS_VALUES: readonly Access[] = Object.freeze(['read', 'write', 'read-write']);

/** 20 characters like an AWS access key id: 'SGNT' + 16 base32 characters. */
export function newAccessKeyId(): string {
  const bytes = randomBytes(16);
  let id = 'SGNT';
  for (const b of bytes) id += KEY_ID_ALPHABET[b % 32];
  return id;
}

/** 40 characters like an AWS secret access key. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
}

export interface NewTokenSpec {
  name: string;
  access: Access;
  /** Empty or absent = every bucket */
  buckets?: readonly string[];
  prefix?: string | null;
  /** Seconds from `now`; absent = never expires */
  expiresInSeconds?: number;
  /** Fixed credentials (both or neither); absent = generated */
  accessKeyId?: string;
  secretAccessKey?: string;
}

/**
 * The same rule as the root access key id (src/config.ts): the id travels inside
 * `Credential=ID/date/region/s3/aws4_request`, so it must not contain '/' or spaces.
 */
export function accessKeyIdProblem(id: string): string | undefined {
  return /^[A-Za-z0-9._-]{3,128}$/.test(id) ? undefined : 'must be 3 to 128 characters of A-Z a-z 0-9 . _ -';
}

/** Secrets are HMAC keys typed into config files: printable ASCII without spaces, 8 or more. */
export function secretAccessKeyProblem(secret: string): string | undefined {
  return /^[\x21-\x7e]{8,256}$/.test(secret) ? undefined : 'must be 8 to 256 printable ASCII characters without spaces';
}

/** The first problem with a token spec, as "<field> <rule>", or undefined. */
export function newTokenProblem(spec: NewTokenSpec): string | undefined {
  if (typeof spec.name !== 'string' || spec.name.trim() === '') return 'name must be a non-empty string';
  if (!ACCESS_VALUES.includes(spec.access)) return `access must be one of ${ACCESS_VALUES.join(', ')} (got ${JSON.stringify(spec.access)})`;
  for (const b of spec.buckets ?? []) {
    const problem = typeof b === 'string' ? bucketNameProblem(b) : 'must be a string';
    if (problem) return `bucket ${JSON.stringify(b)} is not a valid bucket name: a bucket name ${problem}`;
  }
  if (spec.prefix !== undefined && spec.prefix !== null && typeof spec.prefix !== 'string') return 'prefix must be a string';
  if (spec.expiresInSeconds !== undefined && !(Number.isInteger(spec.expiresInSeconds) && spec.expiresInSeconds > 0)) {
    return 'expiresIn must be a whole number of seconds above 0, or a duration such as 1h';
  }
  if ((spec.accessKeyId === undefined) !== (spec.secretAccessKey === undefined)) {
    return 'accessKeyId and secretAccessKey must be given together (or neither, to generate both)';
  }
  if (spec.accessKeyId !== undefined) {
    const idProblem = typeof spec.accessKeyId === 'string' ? accessKeyIdProblem(spec.accessKeyId) : 'must be a string';
    if (idProblem) return `accessKeyId ${idProblem}`;
  }
  if (spec.secretAccessKey !== undefined) {
    const secretProblem = typeof spec.secretAccessKey === 'string' ? secretAccessKeyProblem(spec.secretAccessKey) : 'must be a string';
    if (secretProblem) return `secretAccessKey ${secretProblem}`;
  }
  return undefined;
}

/** A new, active, non-root token. Check `newTokenProblem` first. */
export function buildToken(spec: NewTokenSpec, now: Date): Token {
  return {
    accessKeyId: spec.accessKeyId ?? newAccessKeyId(),
    secretAccessKey: spec.secretAccessKey ?? newSecretAccessKey(),
    name: spec.name,
    access: spec.access,
    buckets: [...(spec.buckets ?? [])],
    prefix: spec.prefix || null,
    expiresAt: spec.expiresInSeconds ? new Date(now.getTime() + spec.expiresInSeconds * 1000).toISOString() : null,
    revokedAt: null,
    createdAt: now.toISOString(),
    root: false,
  };
}

/** What `signet token create --json` prints (CONTRACT.md): the only time the secret is shown. */
export interface CreatedTokenJson {
  accessKeyId: string;
  secretAccessKey: string;
  name: string;
  access: Access;
  buckets: string[];
  prefix: string | null;
  expiresAt: string | null;
}

export function createdTokenJson(t: Token): CreatedTokenJson {
  return {
    accessKeyId: t.accessKeyId,
    secretAccessKey: t.secretAccessKey,
    name: t.name,
    access: t.access,
    buckets: t.buckets,
    prefix: t.prefix,
    expiresAt: t.expiresAt,
  };
}
