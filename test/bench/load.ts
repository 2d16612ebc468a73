/**
 * Closed-loop load with autocannon: C connections, each sending its next request as soon as
 * the previous answer arrived, for a fixed time. Requests cycle through a pool built in
 * advance (signatures included), so the generator only copies bytes.
 *
 * Besides req/s and latency, each run reports how busy the generator (this process) and the
 * server were: a generator near 100% of a core means the figure is the generator's ceiling,
 * not the server's.
 */
import { createRequire } from 'node:module';
import { readCpuSeconds } from './targets.ts';

/** The part of autocannon's API used here (it ships no types). */
interface AutocannonInstance extends PromiseLike<{ duration: number; errors: number; timeouts: number }> {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): void;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => AutocannonInstance;

export interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST';
  /** Path and query, as sent on the request line */
  path: string;
  /** Use 'Content-Length' (this casing) when set: autocannon writes that name itself */
  headers?: Record<string, string>;
  body?: Buffer;
}

export interface LoadOptions {
  origin: string;
  serverPid: number;
  pool: readonly RequestSpec[];
  /** The status every answer must have (others are counted as failures) */
  expectStatus: number;
  connections: number;
  durationSec: number;
}

export interface LoadResult {
  /** Answers with the expected status per second */
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  answered: number;
  /** Answers with another status, or connection errors and timeouts */
  failures: number;
  statuses: Record<string, number>;
  /** Share of one core used by the load generator (this process) */
  generatorCpu: number;
  /** Share of one core used by the server process */
  serverCpu: number;
  /** Server CPU time per answer, in ms: steadier than rates on a busy machine */
  serverCpuMsPerAnswer: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { pool } = options;
  let next = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const cpuBefore = process.cpuUsage();
  const serverCpuBefore = readCpuSeconds(options.serverPid);
  const started = performance.now();

  const instance = autocannon({
    url: options.origin,
    connections: options.connections,
    duration: options.durationSec,
    timeout: 30,
    requests: [
      {
        setupRequest(req: Record<string, unknown>) {
          const spec = pool[next++ % pool.length]!;
          req.method = spec.method;
          req.path = spec.path;
          req.headers = { ...spec.headers };
          req.body = spec.body;
          return req;
        },
      },
    ],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    latencies.push(responseTime);
  });
  const result = await instance;

  const wallSec = (performance.now() - started) / 1000;
  const serverCpuSec = readCpuSeconds(options.serverPid) - serverCpuBefore;
  const cpu = process.cpuUsage(cpuBefore);
  const ok = statuses[options.expectStatus] ?? 0;
  latencies.sort((a, b) => a - b);
  return {
    perSec: ok / result.duration,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    answered: latencies.length,
    failures: latencies.length - ok + result.errors + result.timeouts,
    statuses,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / wallSec,
    serverCpu: serverCpuSec / wallSec,
    serverCpuMsPerAnswer: (serverCpuSec * 1000) / latencies.length,
  };
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
