/**
 * signet's programmatic API: start a server inside a test suite or a script.
 *
 *   const s = await startSignet();                 // temp data dir, free port, default root token
 *   new S3Client({ endpoint: s.endpoint, region: s.region, credentials: s.credentials, forcePathStyle: true });
 *   await s.createBucket('photos');
 *   const ci = await s.createToken({ name: 'ci', access: 'read', buckets: ['photos'], expiresIn: '1h' });
 *   s.clock.advance('2h');                          // with { clockControl: true }
 *   s.explain(url, { method: 'PUT' });             // the same report as `signet explain --json`
 *   await s.close();                               // and the temp data dir is gone
 *
 * It never reads process.env (the CLI does): every setting is an option, with the CLI's
 * defaults except the port (0: any free port) and the data directory (a fresh temp directory).
 * Each instance has its own server, database and clock, so several run side by side in one
 * process.
 */
import { explainDepsFrom } from './explain-deps.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildToken, createdTokenJson, newTokenProblem, type CreatedTokenJson } from './access/new-token.ts';
import type { Access } from './access/types.ts';
import { bucketNameProblem } from './bucket-name.ts';
import { parseDuration } from './cli/options.ts';
import { DEFAULTS, validateConfig, type Config } from './config.ts';
import type { RequestRecord } from './http/s3-handler.ts';
import { permissiveRule } from './http/cors.ts';
import { applyInitToDataDir, checkInit, readInitFile, durationSeconds, type CheckedInit, type SignetInit } from './init/index.ts';
import { serverClock, startServer, type RunningServer } from './server.ts';
import { explainRequest } from './explain/explain.ts';
import type { ExplainReport } from './explain/types.ts';

export type { Access } from './access/types.ts';
export type { CreatedTokenJson } from './access/new-token.ts';
export type { RequestRecord } from './http/s3-handler.ts';
export type { SignetInit, InitBucket, InitToken, InitCorsRule } from './init/index.ts';
export { InitError } from './init/index.ts';
export type { ExplainReport } from './explain/types.ts';

export interface StartSignetOptions {
  /** Default: a fresh temp directory, removed by close(). A given directory is kept. */
  dataDir?: string;
  /** Default 0: any free port (see `port` and `endpoint` on the result) */
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

export async function startSignet(options: StartSignetOptions = {}): Promise<Signet> {
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'signet-')));
  let running: RunningServer | undefined;
  try {
    const config = validateConfig({
      host: options.host ?? DEFAULTS.host,
      port: options.port ?? 0,
      dataDir,
      region: options.region ?? DEFAULTS.region,
      rootAccessKeyId: options.rootAccessKeyId ?? DEFAULTS.rootAccessKeyId,
      rootSecretAccessKey: options.rootSecretAccessKey ?? DEFAULTS.rootSecretAccessKey,
      clockControl: options.clockControl ?? false,
    });
    const init = loadInit(options.init);
    const initResult = init ? applyInitToDataDir(dataDir, init, config) : undefined;
    running = await startServer(config, { onRequestDone: options.onRequest });
    const tokens = Object.fromEntries((initResult?.tokens ?? []).map(({ token }) => [token.name, createdTokenJson(token)]));
    return makeSignet(config, running, tokens, ownDataDir);
  } catch (err) {
    await running?.close();
    if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

function loadInit(init: SignetInit | string | undefined): CheckedInit | undefined {
  if (init === undefined) return undefined;
  return typeof init === 'string' ? readInitFile(init) : checkInit(init, 'init');
}

function makeSignet(config: Readonly<Config>, running: RunningServer, tokens: Record<string, CreatedTokenJson>, ownDataDir: boolean): Signet {
  const meta = running.storage.meta;
  const clock = serverClock(config, running.storage);
  let closing: Promise<void> | undefined;

  const requireClockControl = () => {
    if (!config.clockControl) throw new Error('clock control is off: start with startSignet({ clockControl: true }) to move the server\'s time');
  };
  const setOffset = (ms: number): Date => {
    requireClockControl();
    meta.setClockOffsetMs(ms);
    return clock.now();
  };

  return {
    endpoint: clientUrl(running),
    port: running.port,
    region: config.region,
    dataDir: config.dataDir,
    credentials: { accessKeyId: config.rootAccessKeyId, secretAccessKey: config.rootSecretAccessKey },
    tokens,

    async createBucket(name, opts = {}) {
      const problem = bucketNameProblem(name);
      if (problem) throw new Error(`invalid bucket name "${name}": a bucket name ${problem}`);
      const outcome = meta.createBucket(name, clock.now());
      if (opts.corsOrigins?.length) meta.setBucketCors(name, JSON.stringify([permissiveRule(opts.corsOrigins)]));
      return { name, created: outcome === 'created', corsOrigins: opts.corsOrigins ?? [] };
    },

    async createToken(opts) {
      let expiresInSeconds: number | undefined;
      try {
        expiresInSeconds = opts.expiresIn === undefined ? undefined : durationSeconds(opts.expiresIn);
      } catch (err) {
        throw new Error(`createToken: expiresIn: ${(err as Error).message}`);
      }
      const spec = { ...opts, expiresInSeconds };
      const problem = newTokenProblem(spec);
      if (problem) throw new Error(`createToken: ${problem}`);
      if (spec.accessKeyId !== undefined && meta.getToken(spec.accessKeyId)) {
        throw new Error(`createToken: a token with the access key id "${spec.accessKeyId}" already exists`);
      }
      const token = buildToken(spec, clock.now());
      meta.insertToken(token);
      return createdTokenJson(token);
    },

    async revokeToken(accessKeyId) {
      const found = meta.getToken(accessKeyId);
      if (found?.root) throw new Error('the root token cannot be revoked: start with other rootAccessKeyId / rootSecretAccessKey instead');
      if (!found || !meta.revokeToken(accessKeyId, clock.now())) throw new Error(`no token has the access key id "${accessKeyId}"`);
      return { accessKeyId, revoked: true };
    },

    clock: {
      advance: (by) => setOffset(meta.getClockOffsetMs() + (typeof by === 'number' ? by : signedDurationMs(by))),
      set: (at) => setOffset(instantMs(at) - Date.now()),
      reset: () => setOffset(0),
      now: () => clock.now(),
    },

    explain(url, opts = {}) {
      return explainWith(config, running, url, opts);
    },

    close() {
      closing ??= running.close().then(() => (ownDataDir ? rm(config.dataDir, { recursive: true, force: true }) : undefined));
      return closing;
    },
  };
}

/** A server listening on every address is reached through loopback. */
function clientUrl(running: RunningServer): string {
  const url = new URL(running.url);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.hostname === '[::]') url.hostname = '[::1]';
  return url.origin;
}

function signedDurationMs(text: string): number {
  const negative = text.trim().startsWith('-');
  return (negative ? -1 : 1) * parseDuration(negative ? text.trim().slice(1) : text) * 1000;
}

function instantMs(at: Date | string): number {
  const ms = at instanceof Date ? at.getTime() : /^\d{4}-\d\d-\d\dT/.test(at) ? Date.parse(at) : NaN;
  if (Number.isNaN(ms)) throw new Error(`clock.set: ${String(at)} is not a Date or an ISO 8601 time such as 2030-01-01T00:00:00Z`);
  return ms;
}

/** The report `signet explain --json` prints, for this server's tokens, clock and region. */
function explainWith(config: Readonly<Config>, running: RunningServer, url: string, opts: ExplainOptions): ExplainReport {
  const meta = running.storage.meta;
  const clock = serverClock(config, running.storage);
  return explainRequest(
    { url, method: opts.method, headers: headerPairs(opts.headers) },
    explainDepsFrom(meta, { now: clock.now(), region: config.region, clockOffsetMs: clock.offsetMs?.() ?? 0 }),
  );
}

function headerPairs(headers: ExplainOptions['headers']): Array<[string, string]> {
  if (!headers) return [];
  if (Array.isArray(headers)) return headers.map(([name, value]) => [name, value]);
  return Object.entries(headers as Record<string, string | string[]>).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v]),
  );
}
