/**
 * Closed-loop load with autocannon: C connections, each sending its next request as soon as
 * the previous answer arrived, for a fixed time. Requests cycle through a pool built in
 * advance (signatures included), so the generator only copies bytes.
 *
 * Besides req/s and latency, each run reports how busy the generator (this process) and the
 * server were: a generator near 100% of a core means the figure is the generator's ceiling,
 * not the server's.
 */
import { request } from 'node:http';
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
  /** Measured one request at a time: the server needs seconds per answer (s3rver listing 10,000 keys) */
  sequential?: boolean;
}

/**
 * For a server that takes seconds per answer, where a timed run at C connections would end
 * before the first answer: `count` requests one after the other.
 */
export async function runSequential(options: Omit<LoadOptions, 'connections' | 'durationSec'>, count: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const cpuBefore = process.cpuUsage();
  const serverCpuBefore = readCpuSeconds(options.serverPid);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const spec = options.pool[i % options.pool.length]!;
    const t = performance.now();
    const status = await sendOnce(options.origin, spec);
    latencies.push(performance.now() - t);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const wallSec = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpuSec = readCpuSeconds(options.serverPid) - serverCpuBefore;
  const ok = statuses[options.expectStatus] ?? 0;
  latencies.sort((a, b) => a - b);
  return {
    perSec: ok / wallSec,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    answered: latencies.length,
    failures: latencies.length - ok,
    statuses,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / wallSec,
    serverCpu: serverCpuSec / wallSec,
    serverCpuMsPerAnswer: (serverCpuSec * 1000) / latencies.length,
    sequential: true,
  };
}

function sendOnce(origin: string, spec: RequestSpec): Promise<number> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers: spec.headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(spec.body);
  });
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
