/**
 * Starts a real `signet serve` process (as users do) on a free port with a temp data dir, and
 * runs the CLI against it. Never touches ./storage.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(PROJECT_ROOT, 'src/cli/bin.cjs');

export const ROOT_KEY = 'testroot';
export const ROOT_SECRET = 'testroot-secret-0123456789';
export const REGION = 'us-east-1';

export interface SpawnedServer {
  url: string;
  port: number;
  dataDir: string;
  proc: ChildProcess;
  output(): string;
  /** Runs `signet ARGS` against this server's data directory. */
  cli(args: string[], opts?: { env?: Record<string, string> }): { status: number | null; stdout: string; stderr: string };
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function makeTempDir(prefix = 'signet-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function startSignet(
  opts: { args?: string[]; env?: Record<string, string>; dataDir?: string; keepDataDir?: boolean } = {},
): Promise<SpawnedServer> {
  const dataDir = opts.dataDir ?? makeTempDir();
  const env = {
    ...process.env,
    SIGNET_ROOT_ACCESS_KEY_ID: ROOT_KEY,
    SIGNET_ROOT_SECRET_ACCESS_KEY: ROOT_SECRET,
    SIGNET_REGION: REGION,
    ...opts.env,
  };
  delete (env as Record<string, string | undefined>).SIGNET_PORT;
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, ...(opts.args ?? [])], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`signet did not start in 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /signet listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`signet exited with ${code} before listening:\n${out}`));
    });
  });
  const port = Number(new URL(url).port);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    url,
    port,
    dataDir,
    proc,
    output: () => out,
    cli: (args, o = {}) => runCli([...args, '--data-dir', dataDir], o.env ?? {}),
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      const code = await exited;
      if (!opts.keepDataDir && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Runs a python3 script (boto3 is installed on the machine image); returns stdout. */
export function runPython(script: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = spawnSync('python3', ['-c', script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', ...env },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
