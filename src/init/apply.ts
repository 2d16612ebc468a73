/**
 * Applying a checked init file to a data directory, idempotently: what exists is left as it
 * is, so a second start with the same file changes nothing.
 *
 *   bucket   created when absent; its CORS set only when the file gives CORS and it differs
 *            (a bucket without CORS in the file keeps whatever PutBucketCors gave it)
 *   token    with accessKeyId: created when absent; present with the same secret and scope
 *            is left alone; present with another secret or scope is refused (signet never
 *            rewrites a token behind its holders' back: a changed file needs a new access key
 *            id or a fresh data directory)
 *            without accessKeyId: known by its name; created once with generated keys
 *   revoked or expired tokens stay so: a restart never revives a token an operator revoked.
 *
 * Everything is applied in one transaction: a refused entry leaves the directory untouched.
 */
import { buildToken } from '../access/new-token.ts';
import type { Token } from '../access/types.ts';
import { parseStoredCors, type CorsRule } from '../http/cors.ts';
import type { MetadataStore } from '../storage/types.ts';
import { InitError } from './types.ts';
import type { CheckedBucket, CheckedInit, CheckedToken } from './validate.ts';

export type BucketOutcome = 'created' | 'exists';
/** set = written now; unchanged = already so; kept = the file gives no CORS */
export type CorsOutcome = 'set' | 'unchanged' | 'kept';
export type TokenOutcome = 'created' | 'exists' | 'revoked' | 'expired';

export interface InitResult {
  buckets: Array<{ name: string; outcome: BucketOutcome; cors: CorsOutcome }>;
  /** The tokens as stored (with their secrets: for the programmatic API, never for printing) */
  tokens: Array<{ token: Token; outcome: TokenOutcome }>;
}

export interface ApplyOptions {
  now: Date;
  /** The server's root access key id: no init token may take it */
  rootAccessKeyId: string;
}

export function applyInit(meta: MetadataStore, init: CheckedInit, options: ApplyOptions): InitResult {
  return meta.transaction(() => ({
    buckets: init.buckets.map((b) => applyBucket(meta, b, options.now)),
    tokens: init.tokens.map((t) => applyToken(meta, t, options)),
  }));
}

function applyBucket(meta: MetadataStore, b: CheckedBucket, now: Date): InitResult['buckets'][number] {
  const outcome = meta.createBucket(b.name, now);
  if (!b.cors) return { name: b.name, outcome, cors: 'kept' };
  const stored = parseStoredCors(meta.getBucket(b.name)?.cors ?? null);
  if (stored && sameRules(stored, b.cors)) return { name: b.name, outcome, cors: 'unchanged' };
  meta.setBucketCors(b.name, JSON.stringify(b.cors));
  return { name: b.name, outcome, cors: 'set' };
}

function sameRules(a: CorsRule[], b: CorsRule[]): boolean {
  const canonical = (rules: CorsRule[]) =>
    JSON.stringify(
      rules.map((r) => [r.id ?? null, r.allowedOrigins, r.allowedMethods, r.allowedHeaders ?? [], r.exposeHeaders ?? [], r.maxAgeSeconds ?? null]),
    );
  return canonical(a) === canonical(b);
}

function applyToken(meta: MetadataStore, t: CheckedToken, options: ApplyOptions): InitResult['tokens'][number] {
  const { spec, label } = t;
  if (spec.accessKeyId === options.rootAccessKeyId) {
    throw new InitError(`${label}: accessKeyId ${spec.accessKeyId} is the root access key id; choose another one`);
  }
  const existing =
    spec.accessKeyId !== undefined
      ? meta.getToken(spec.accessKeyId)
      : meta
          .listTokens()
          .filter((s) => !s.root && s.name === spec.name)
          .map((s) => meta.getToken(s.accessKeyId)!)
          .at(-1);
  if (!existing) {
    const token = buildToken(spec, options.now);
    meta.insertToken(token);
    return { token, outcome: 'created' };
  }
  if (existing.root) throw new InitError(`${label}: accessKeyId ${existing.accessKeyId} belongs to the root token; choose another one`);
  if (spec.accessKeyId !== undefined) {
    const differs = differences(existing, t);
    if (differs.length) {
      throw new InitError(
        `${label}: a token with access key id ${existing.accessKeyId} already exists in the data directory with a different ` +
          `${differs.join(', ')}; signet does not rewrite existing tokens: give this entry a new accessKeyId, or start on a fresh data directory`,
      );
    }
  }
  return { token: existing, outcome: statusOf(existing, options.now) };
}

function differences(existing: Token, t: CheckedToken): string[] {
  const { spec } = t;
  const out: string[] = [];
  if (existing.secretAccessKey !== spec.secretAccessKey) out.push('secretAccessKey');
  if (existing.name !== spec.name) out.push('name');
  if (existing.access !== spec.access) out.push('access');
  const wanted = [...(spec.buckets ?? [])].sort();
  const have = [...existing.buckets].sort();
  if (wanted.join('\n') !== have.join('\n')) out.push('buckets');
  if ((existing.prefix ?? null) !== (spec.prefix || null)) out.push('prefix');
  return out;
}

function statusOf(token: Token, now: Date): TokenOutcome {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) return 'expired';
  return 'exists';
}

/** One line per entry for the server's output: names and access key ids, never a secret. */
export function describeInitResult(result: InitResult): string[] {
  const lines = result.buckets.map((b) => {
    const cors = b.cors === 'set' ? ', CORS set' : b.cors === 'unchanged' ? ', CORS unchanged' : '';
    return `bucket ${b.name}: ${b.outcome === 'created' ? 'created' : 'exists'}${cors}`;
  });
  for (const { token, outcome } of result.tokens) {
    const what = {
      created: 'created',
      exists: 'exists, unchanged',
      revoked: `was revoked at ${token.revokedAt} and stays revoked`,
      expired: `expired at ${token.expiresAt} and stays expired`,
    }[outcome];
    lines.push(`token "${token.name}" (${token.accessKeyId}, ${token.access}): ${what}`);
  }
  return lines;
}
