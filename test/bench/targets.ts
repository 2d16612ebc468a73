/**
 * The three servers under test, each in its own process so that its memory and CPU can be
 * read apart from the load generator's (/proc/PID/status VmRSS, /proc/PID/stat utime+stime):
 *
 *   signet   `node src/cli/bin.cjs serve --quiet`, as `npm start` runs it
 *   s3rver   test/bench/s3rver-server.ts
 *   floor    test/bench/floor-server.ts: bytes to and from disk with an MD5, nothing else
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SIGNET_BIN = join(PROJECT_ROOT, 'src/cli/bin.cjs');
const FLOOR_SCRIPT = fileURLToPath(new URL('./floor-server.ts', import.meta.url));
const S3RVER_SCRIPT = fileURLToPath(new URL('./s3rver-server.ts', import.meta.url));

/** 'signet-before': another checkout's signet (`--before DIR`), to measure a change in the same run. */
export type TargetName = 'floor' | 'signet' | 's3rver' | 'signet-before';
export const TARGET_NAMES: readonly TargetName[] = ['floor', 'signet', 's3rver'];

export const REGION = 'us-east-1';
/** The bench's own credentials for signet; s3rver only knows its built-in S3RVER pair. */
const SIGNET_CREDENTIALS = { accessKeyId: 'benchroot', secretAccessKey: 'benchroot-secret-0123456789' };
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Target {
  name: TargetName;
  /** http://127.0.0.1:PORT */
  origin: string;
  pid: number;
  dataDir: string;
  /** Undefined for the floor, which authenticates nothing */
  credentials?: Credentials;
  /** Everything the server printed so far, stdout and stderr (e.g. node --trace-gc's lines) */
  output(): string;
  stop(): Promise<void>;
}

export interface LaunchOptions {
  port?: number;
  dataDir?: string;
  /** Extra environment (e.g. TMPDIR for an empty tsx cache) */
  env?: Record<string, string>;
  floorFsync?: boolean;
  /** Extra node flags for the server (e.g. --cpu-prof) */
  nodeArgs?: string[];
  /** The checkout whose `signet` entry point 'signet-before' runs */
  beforeRoot?: string;
}

function command(name: TargetName, dataDir: string, port: number, options: LaunchOptions): string[] {
  switch (name) {
    case 'signet':
      return [SIGNET_BIN, 'serve', '--port', String(port), '--data-dir', dataDir, '--quiet'];
    case 'signet-before':
      if (!options.beforeRoot) throw new Error('signet-before needs the checkout to run (--before DIR)');
      return [beforeBin(options.beforeRoot), 'serve', '--port', String(port), '--data-dir', dataDir, '--quiet'];
    case 's3rver':
      return ['--import', 'tsx', S3RVER_SCRIPT, dataDir, '--port', String(port)];
    case 'floor':
      return ['--import', 'tsx', FLOOR_SCRIPT, dataDir, '--port', String(port), ...(options.floorFsync === false ? ['--no-fsync'] : [])];
  }
}

/** "K=V,K2=V2" (a command-line option) as an environment; a value may hold '='. */
/** A checkout's entry point: src/cli/bin.cjs, or src/cli/bin.js in checkouts from before it. */
function beforeBin(root: string): string {
  const cjs = join(root, 'src/cli/bin.cjs');
  return existsSync(cjs) ? cjs : join(root, 'src/cli/bin.js');
}

export function parseEnvList(list: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list.split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq === -1) env[kv] = '';
    else env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIGNET_ROOT_ACCESS_KEY_ID: SIGNET_CREDENTIALS.accessKeyId,
    SIGNET_ROOT_SECRET_ACCESS_KEY: SIGNET_CREDENTIALS.secretAccessKey,
    SIGNET_REGION: REGION,
    ...extra,
  };
  // The bench itself runs under tsx; its loader flags must not leak into the servers.
  delete env.NODE_OPTIONS;
  delete env.SIGNET_PORT;
  delete env.SIGNET_CLOCK_CONTROL;
  return env;
}

export function spawnTarget(name: TargetName, options: LaunchOptions = {}): { proc: ChildProcess; dataDir: string; output: () => string } {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), ...command(name, dataDir, options.port ?? 0, options)], {
    cwd: PROJECT_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return { proc, dataDir, output: () => out };
}

/** Starts a server on a free port and resolves once it has printed its listening line. */
export async function startTarget(name: TargetName, options: LaunchOptions = {}): Promise<Target> {
  const { proc, dataDir, output } = spawnTarget(name, options);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 30 s:\n${output()}`)), 30_000);
    const check = () => {
      const m = /listening on (?:http:\/\/[^\s]*:)?(\d+)/.exec(output());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${output()}`));
    });
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return {
    name,
    origin: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    dataDir,
    credentials: name === 'floor' ? undefined : name === 's3rver' ? S3RVER_CREDENTIALS : SIGNET_CREDENTIALS,
    output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The request that says a server is up: signet's health endpoint, the floor's, s3rver's root. */
const HEALTH_PATH: Record<TargetName, string> = { signet: '/_signet/health', 'signet-before': '/_signet/health', floor: '/_health', s3rver: '/' };

function probe(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Milliseconds from spawn to the first good answer to the health request (200; any answer for
 * s3rver, whose root needs credentials), polling every 2 ms. A fresh data directory each time.
 */
export async function measureColdStart(name: TargetName, options: LaunchOptions = {}): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const { proc, dataDir, output } = spawnTarget(name, { ...options, port });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${name} exited during its cold start:\n${output()}`);
      if (performance.now() - started > 30_000) throw new Error(`${name} did not answer in 30 s:\n${output()}`);
      const status = await probe(port, HEALTH_PATH[name]);
      if (status !== undefined && (status === 200 || name === 's3rver')) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    proc.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Resident set size of a process, in bytes (Linux /proc; `ps` elsewhere). */
export function readRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: ask ps
  }
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) a process has used, in seconds; NaN where /proc is absent. */
export function readCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line: 12th and 13th after the name.
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every Linux that Node supports. */
const CLOCK_TICKS = 100;
