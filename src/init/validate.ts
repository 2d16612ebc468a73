/**
 * Reading and checking an `--init` file. Every problem is one line naming the entry, e.g.
 *
 *   signet.json: tokens[2] ("deploy"): access must be one of read, write, read-write (got "admin")
 *
 * Unknown fields are refused (a typo such as "acess" must not silently create a token with
 * other rights than intended). The field lists below are the schema's (a test keeps
 * ./signet-init.schema.json in step with them).
 */
import { readFileSync } from 'node:fs';
import { newTokenProblem, type NewTokenSpec } from '../access/new-token.ts';
import type { Access } from '../access/types.ts';
import { bucketNameProblem } from '../bucket-name.ts';
import { parseDuration } from '../cli/options.ts';
import { permissiveRule, type CorsRule } from '../http/cors.ts';
import { InitError } from './types.ts';

export const TOP_LEVEL_FIELDS = ['$schema', 'buckets', 'tokens'] as const;
export const BUCKET_FIELDS = ['name', 'corsOrigins', 'cors'] as const;
export const CORS_RULE_FIELDS = ['id', 'allowedOrigins', 'allowedMethods', 'allowedHeaders', 'exposeHeaders', 'maxAgeSeconds'] as const;
export const TOKEN_FIELDS = ['name', 'access', 'buckets', 'prefix', 'expiresIn', 'accessKeyId', 'secretAccessKey'] as const;
export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;
/** S3 refuses a CORS configuration of more than 100 rules. */
export const MAX_CORS_RULES = 100;

/** An init file checked and put in the form it is applied in. */
export interface CheckedInit {
  buckets: CheckedBucket[];
  tokens: CheckedToken[];
}

export interface CheckedBucket {
  name: string;
  /** undefined = leave the bucket's CORS as it is */
  cors?: CorsRule[];
  /** "buckets[1] (\"photos\")", for messages */
  label: string;
}

export interface CheckedToken {
  spec: NewTokenSpec;
  label: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function unknownField(entry: Json, known: readonly string[]): string | undefined {
  const extra = Object.keys(entry).find((k) => !known.includes(k));
  return extra === undefined ? undefined : `unknown field "${extra}" (known: ${known.join(', ')})`;
}

function labelOf(list: string, index: number, entry: unknown): string {
  const name = isObject(entry) ? entry.name : entry;
  return typeof name === 'string' ? `${list}[${index}] (${JSON.stringify(name)})` : `${list}[${index}]`;
}

/**
 * Checks a parsed init document. `source` names it in messages (the file path, or
 * 'init' for an object given to startSignet). Throws InitError.
 */
export function checkInit(doc: unknown, source: string): CheckedInit {
  const fail = (where: string, problem: string): never => {
    throw new InitError(`${source}: ${where}${where ? ': ' : ''}${problem}`);
  };
  if (!isObject(doc)) return fail('', 'must be a JSON object with "buckets" and/or "tokens"');
  const extra = unknownField(doc, TOP_LEVEL_FIELDS);
  if (extra) fail('', extra);
  if (doc.$schema !== undefined && typeof doc.$schema !== 'string') fail('$schema', 'must be a string');
  if (doc.buckets !== undefined && !Array.isArray(doc.buckets)) fail('buckets', 'must be a list of bucket names or {"name": ...} objects');
  if (doc.tokens !== undefined && !Array.isArray(doc.tokens)) fail('tokens', 'must be a list of {"name": ..., "access": ...} objects');

  const buckets = ((doc.buckets as unknown[] | undefined) ?? []).map((entry, i) => checkBucket(entry, labelOf('buckets', i, entry), fail));
  const seenBuckets = new Map<string, string>();
  for (const b of buckets) {
    const first = seenBuckets.get(b.name);
    if (first) fail(b.label, `the bucket is already listed as ${first}`);
    seenBuckets.set(b.name, b.label);
  }

  const tokens = ((doc.tokens as unknown[] | undefined) ?? []).map((entry, i) => checkToken(entry, labelOf('tokens', i, entry), fail));
  const seenNames = new Map<string, string>();
  const seenIds = new Map<string, string>();
  for (const t of tokens) {
    const firstName = seenNames.get(t.spec.name);
    if (firstName) fail(t.label, `the name is already used by ${firstName} (token names must be unique in the file)`);
    seenNames.set(t.spec.name, t.label);
    if (t.spec.accessKeyId === undefined) continue;
    const firstId = seenIds.get(t.spec.accessKeyId);
    if (firstId) fail(t.label, `accessKeyId ${t.spec.accessKeyId} is already used by ${firstId}`);
    seenIds.set(t.spec.accessKeyId, t.label);
  }
  return { buckets, tokens };
}

type Fail = (where: string, problem: string) => never;

function checkBucket(entry: unknown, label: string, fail: Fail): CheckedBucket {
  if (typeof entry === 'string') entry = { name: entry };
  if (!isObject(entry)) return fail(label, 'must be a bucket name or an object with "name"');
  const extra = unknownField(entry, BUCKET_FIELDS);
  if (extra) fail(label, extra);
  if (typeof entry.name !== 'string') return fail(label, '"name" is required and must be a string');
  const problem = bucketNameProblem(entry.name);
  if (problem) fail(label, `invalid bucket name: a bucket name ${problem}`);
  if (entry.corsOrigins !== undefined && entry.cors !== undefined) fail(label, 'give "corsOrigins" or "cors", not both');
  if (entry.corsOrigins !== undefined) {
    if (!isStringList(entry.corsOrigins) || entry.corsOrigins.length === 0) fail(label, 'corsOrigins must be a non-empty list of origins');
    const origins = entry.corsOrigins as string[];
    origins.forEach((o, j) => checkOrigin(o, `${label}: corsOrigins[${j}]`, fail));
    return { name: entry.name, label, cors: [permissiveRule(origins)] };
  }
  if (entry.cors !== undefined) {
    if (!Array.isArray(entry.cors) || entry.cors.length === 0) fail(label, 'cors must be a non-empty list of CORS rules');
    const rules = entry.cors as unknown[];
    if (rules.length > MAX_CORS_RULES) fail(label, `cors may hold at most ${MAX_CORS_RULES} rules, as in S3`);
    return { name: entry.name, label, cors: rules.map((r, j) => checkCorsRule(r, `${label}: cors[${j}]`, fail)) };
  }
  return { name: entry.name, label };
}

function checkOrigin(origin: string, where: string, fail: Fail): void {
  if (origin === '') fail(where, 'an origin may not be empty');
  // S3's PutBucketCors rule: "AllowedOrigin ... can not have more than one wildcard."
  if ((origin.match(/\*/g) ?? []).length > 1) fail(where, `${JSON.stringify(origin)} has more than one "*" wildcard (S3 allows one)`);
}

function checkCorsRule(rule: unknown, where: string, fail: Fail): CorsRule {
  if (!isObject(rule)) return fail(where, 'must be an object with allowedOrigins and allowedMethods');
  const extra = unknownField(rule, CORS_RULE_FIELDS);
  if (extra) fail(where, extra);
  if (!isStringList(rule.allowedOrigins) || rule.allowedOrigins.length === 0) fail(where, 'allowedOrigins must be a non-empty list of origins');
  (rule.allowedOrigins as string[]).forEach((o, j) => checkOrigin(o, `${where}.allowedOrigins[${j}]`, fail));
  if (!isStringList(rule.allowedMethods) || rule.allowedMethods.length === 0) fail(where, `allowedMethods must be a non-empty list of ${CORS_METHODS.join(', ')}`);
  for (const m of rule.allowedMethods as string[]) {
    if (!(CORS_METHODS as readonly string[]).includes(m)) fail(`${where}.allowedMethods`, `${JSON.stringify(m)} is not one of ${CORS_METHODS.join(', ')}`);
  }
  for (const field of ['allowedHeaders', 'exposeHeaders'] as const) {
    if (rule[field] !== undefined && !isStringList(rule[field])) fail(where, `${field} must be a list of header names`);
  }
  const maxAge = rule.maxAgeSeconds;
  if (maxAge !== undefined && !(typeof maxAge === 'number' && Number.isInteger(maxAge) && maxAge >= 0)) {
    fail(where, 'maxAgeSeconds must be a whole number of seconds, 0 or more');
  }
  if (rule.id !== undefined && typeof rule.id !== 'string') fail(where, 'id must be a string');
  return {
    ...(rule.id !== undefined ? { id: rule.id as string } : {}),
    allowedOrigins: rule.allowedOrigins as string[],
    allowedMethods: rule.allowedMethods as string[],
    allowedHeaders: (rule.allowedHeaders as string[] | undefined) ?? [],
    exposeHeaders: (rule.exposeHeaders as string[] | undefined) ?? [],
    ...(maxAge !== undefined ? { maxAgeSeconds: maxAge as number } : {}),
  };
}

function checkToken(entry: unknown, label: string, fail: Fail): CheckedToken {
  if (!isObject(entry)) return fail(label, 'must be an object with "name" and "access"');
  const extra = unknownField(entry, TOKEN_FIELDS);
  if (extra) fail(label, extra);
  if (entry.buckets !== undefined && !isStringList(entry.buckets)) fail(label, 'buckets must be a list of bucket names');
  if (entry.prefix !== undefined && typeof entry.prefix !== 'string') fail(label, 'prefix must be a string');
  let expiresInSeconds: number | undefined;
  try {
    expiresInSeconds = entry.expiresIn === undefined ? undefined : durationSeconds(entry.expiresIn);
  } catch (err) {
    fail(label, `expiresIn: ${(err as Error).message}`);
  }
  const spec: NewTokenSpec = {
    name: entry.name as string,
    access: entry.access as Access,
    buckets: entry.buckets as string[] | undefined,
    prefix: entry.prefix as string | undefined,
    expiresInSeconds,
    accessKeyId: entry.accessKeyId as string | undefined,
    secretAccessKey: entry.secretAccessKey as string | undefined,
  };
  const problem = newTokenProblem(spec);
  if (problem) fail(label, problem);
  return { spec, label };
}

/** 3600 or '1h' -> 3600 (also used by the programmatic API's expiresIn). Throws with the reason. */
export function durationSeconds(value: unknown): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value;
    throw new Error(`${value} is not a whole number of seconds above 0`);
  }
  if (typeof value === 'string') return parseDuration(value);
  throw new Error('use a number of seconds or a duration such as 90s, 15m, 1h, 7d');
}

/** Parses JSON text, naming the line and column of a syntax error. */
export function parseInitText(text: string, source: string): CheckedInit {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InitError(`${source} is not valid JSON: ${jsonErrorWhere(text, (err as Error).message)}`);
  }
  return checkInit(doc, source);
}

export function readInitFile(path: string): CheckedInit {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InitError(`cannot read the init file ${path}${code ? ` (${code})` : ''}: give the path of a JSON file (--init / SIGNET_INIT)`);
  }
  return parseInitText(text, path);
}

function jsonErrorWhere(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m || /line \d+/.test(message)) return message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}
