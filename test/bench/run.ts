/**
 * `npm run bench`: signet against s3rver 3.7.1 and a minimal Node server (the floor), side by
 * side in one run, each in its own process. Prints a table of medians over rounds with each
 * figure as a ratio to the floor, checks signet against its targets, and writes JSON.
 *
 *   npm run bench -- [--out FILE] [--rounds N] [--duration SEC] [--connections C]
 *                    [--big-mib N] [--big-rounds N] [--list-keys N] [--cold-starts N] [--only W1,W4,...]
 *                    [--targets floor,signet,s3rver] [--floor-no-fsync] [--profile DIR] [--before DIR]
 *
 * --before DIR also runs the signet of another checkout (DIR/src/cli/bin.cjs, e.g. a copy taken
 * before a change) as 'signet-before', so that a change is measured against it in the same run.
 * --profile DIR runs signet with `node --cpu-prof` and leaves its .cpuprofile in DIR
 * (read it with `npx tsx test/bench/profile-top.ts DIR/*.cpuprofile`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad, runSequential, type LoadResult } from './load.ts';
import { evaluateTargets, median, printReport, type BenchReport, type Figure, type TransferFigure } from './report.ts';
import { closeSeedConnections, createBucket, presignedPaths } from './requests.ts';
import { measureColdStart, PROJECT_ROOT, startTarget, TARGET_NAMES, type Target, type TargetName } from './targets.ts';
import { bigBody, bigGet, bigPut, type TransferResult } from './transfer.ts';
import { BUCKET, W1, W2, W3_GET, W3_PUT, W5, W7, w6, type Prepared, type Workload } from './workloads.ts';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(PROJECT_ROOT, 'test-output/bench.json') },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '1' },
    connections: { type: 'string', default: '16' },
    'big-mib': { type: 'string', default: '1024' },
    'big-rounds': { type: 'string', default: '2' },
    'list-keys': { type: 'string', default: '10000' },
    'cold-starts': { type: 'string', default: '5' },
    only: { type: 'string' },
    targets: { type: 'string', default: TARGET_NAMES.join(',') },
    'floor-no-fsync': { type: 'boolean', default: false },
    profile: { type: 'string' },
    before: { type: 'string' },
  },
});

const rounds = Number(args.rounds);
const durationSec = Number(args.duration);
const connections = Number(args.connections);
const bigSize = Number(args['big-mib']) * 1024 * 1024;
// Each 1 GiB round costs about half a minute for the three servers (the disk writes ~200 MB/s).
const bigRounds = Number(args['big-rounds']);
const only = args.only ? new Set(args.only.split(',').map((s) => s.trim().toUpperCase())) : undefined;
const targetNames = args.targets.split(',').map((s) => s.trim()) as TargetName[];
for (const name of targetNames) if (!TARGET_NAMES.includes(name)) throw new Error(`unknown target ${name}`);
const beforeRoot = args.before ? resolve(args.before) : undefined;
if (beforeRoot) targetNames.splice(targetNames.indexOf('signet') + 1, 0, 'signet-before');
if (!targetNames.includes('floor')) throw new Error('the floor is what every figure is a ratio to: keep it in --targets');

/** The list started at index `by` and wrapped around: round N's order of the servers. */
function rotate<T>(list: readonly T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]!);
}

const selected = (id: string) => !only || only.has(id) || only.has(id.split('-')[0]!);
// W5 right after W1: its target is a ratio to W1 on the same server, and the machine's speed
// drifts within a minute, so the two are measured seconds apart rather than half a minute.
const workloads: Workload[] = [W1, W5, W2, W3_PUT, W3_GET, w6(Number(args['list-keys'])), W7].filter((w) => selected(w.id));

const benchStarted = performance.now();

/** Writes every dirty page back (the `sync` command); where there is none, does nothing. */
function settleDisk(): void {
  try {
    execFileSync('sync', { stdio: 'ignore', timeout: 120_000 });
  } catch {
    // No sync command: the rotation of the order alone evens things out over rounds.
  }
}

function log(line: string): void {
  process.stderr.write(`[${((performance.now() - benchStarted) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
}

async function coldStarts(): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  // One start each first, discarded: it fills tsx's compile cache, as any second start finds it.
  for (const name of targetNames) await measureColdStart(name, { beforeRoot });
  for (let i = 0; i < Number(args['cold-starts']); i++) {
    for (const name of targetNames) (out[name] ??= []).push(await measureColdStart(name, { beforeRoot }));
  }
  if (targetNames.includes('signet')) {
    // The very first start after install: tsx compiles every file (its cache lives in TMPDIR).
    const emptyTmp = mkdtempSync(join(tmpdir(), 'bench-tsx-cache-'));
    try {
      out['signet (empty tsx cache)'] = [await measureColdStart('signet', { env: { TMPDIR: emptyTmp } })];
    } finally {
      rmSync(emptyTmp, { recursive: true, force: true });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const report: BenchReport = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
      loadavgAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
      rounds,
      durationSec,
      connections,
      bigMiB: bigSize / 1024 / 1024,
      bigRounds,
      floorFsync: !args['floor-no-fsync'],
      targets: targetNames,
      ...(beforeRoot ? { before: beforeRoot } : {}),
    },
    workloads: {},
    transfers: {},
    coldStartMs: {},
    targets: [],
    elapsedSec: 0,
  };

  if (selected('COLD')) {
    log('cold starts...');
    const cold = await coldStarts();
    for (const [name, samples] of Object.entries(cold)) report.coldStartMs[name] = { samples, median: median(samples) };
  }

  log(`starting ${targetNames.join(', ')}...`);
  const servers = {} as Record<TargetName, Target>;
  for (const name of targetNames) {
    servers[name] = await startTarget(name, {
      beforeRoot,
      floorFsync: !args['floor-no-fsync'],
      nodeArgs: name === 'signet' && args.profile ? ['--cpu-prof', '--cpu-prof-interval', '250', '--cpu-prof-dir', resolve(args.profile)] : undefined,
    });
  }
  try {
    for (const target of Object.values(servers)) await createBucket(target, BUCKET);

    const prepared = new Map<string, Prepared>();
    for (const workload of workloads) {
      for (const name of targetNames) {
        const skip = workload.skip?.[name];
        if (skip) {
          prepared.set(`${workload.id}/${name}`, { ok: false, reason: skip });
          continue;
        }
        log(`preparing ${workload.id} on ${name}...`);
        const p = await workload.prepare(servers[name]);
        // A server whose single answer takes longer than a run allows C of them is measured
        // one request at a time (runSequential): a timed run would end before any answer.
        if (p.ok && p.probeMs * connections > durationSec * 1000) log(`  ${name} took ${p.probeMs.toFixed(0)} ms for one answer: measured one request at a time`);
        prepared.set(`${workload.id}/${name}`, p);
      }
    }
    closeSeedConnections();

    const runs = new Map<string, LoadResult[]>();
    for (let round = 0; round < rounds; round++) {
      for (const workload of workloads) {
        // Each round starts with the next server, so that none is always measured first (or
        // right after the same neighbour); report.ts pairs the servers' rounds for the ratios.
        for (const name of rotate(targetNames, round)) {
          const p = prepared.get(`${workload.id}/${name}`)!;
          if (!p.ok) continue;
          const options = { origin: servers[name].origin, serverPid: servers[name].pid, pool: p.pool, expectStatus: p.expectStatus, connections };
          let r: LoadResult;
          if (p.probeMs * connections > durationSec * 1000) {
            r = await runSequential(options, 2);
          } else {
            // Round 1 starts with a short unmeasured run: JIT warm-up and connection set-up.
            if (round === 0) await runLoad({ ...options, durationSec: Math.min(0.5, durationSec / 2) });
            r = await runLoad({ ...options, durationSec });
          }
          log(`round ${round + 1} ${workload.id} ${name}: ${r.perSec.toFixed(0)} ${workload.unit}, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ` +
            `failures ${r.failures}, gen cpu ${(r.generatorCpu * 100).toFixed(0)}%, server cpu ${(r.serverCpu * 100).toFixed(0)}% ` +
            `(${r.serverCpuMsPerAnswer.toFixed(3)} ms per answer)${r.sequential ? ', one request at a time' : ''}`);
          const key = `${workload.id}/${name}`;
          runs.set(key, [...(runs.get(key) ?? []), r]);
        }
      }
    }
    for (const workload of workloads) {
      report.workloads[workload.id] = { title: workload.title, unit: workload.unit, byTarget: {} };
      for (const name of targetNames) {
        const p = prepared.get(`${workload.id}/${name}`)!;
        const results = runs.get(`${workload.id}/${name}`) ?? [];
        const figure: Figure = p.ok
          ? {
              perSec: median(results.map((r) => r.perSec)),
              p50Ms: median(results.map((r) => r.p50Ms)),
              p99Ms: median(results.map((r) => r.p99Ms)),
              generatorCpu: median(results.map((r) => r.generatorCpu)),
              serverCpu: median(results.map((r) => r.serverCpu)),
              failures: results.reduce((n, r) => n + r.failures, 0),
              ...(results.some((r) => r.sequential) ? { sequential: true } : {}),
              rounds: results,
            }
          : { unavailable: p.reason };
        report.workloads[workload.id]!.byTarget[name] = figure;
      }
    }

    if (selected('W4')) {
      log(`W4: ${bigSize / 1024 / 1024} MiB presigned PUT and GET...`);
      const body = bigBody(bigSize);
      // One key per round: a PUT to the key of the round before would also delete that
      // gigabyte, inside the PUT for the floor (its rename replaces the file) and during the
      // GET that follows for signet (a replaced blob is removed once the commit is flushed), so
      // each would be charged for a deletion in a different place.
      const paths: Record<string, Array<{ put: string; get: string }>> = {};
      for (const name of targetNames) {
        const keys = Array.from({ length: bigRounds }, (_, round) => `w4/big-${round + 1}`);
        const puts = await presignedPaths(servers[name], 'PUT', BUCKET, keys);
        const gets = await presignedPaths(servers[name], 'GET', BUCKET, keys);
        paths[name] = keys.map((_, i) => ({ put: puts[i]!, get: gets[i]! }));
      }
      const puts: Record<string, TransferResult[]> = {};
      const gets: Record<string, TransferResult[]> = {};
      for (let round = 0; round < bigRounds; round++) {
        // Each round starts with the next server (floor, signet / signet, floor ...), and every
        // PUT starts once the previous server's gigabyte is on disk (`sync`): otherwise whoever
        // comes second pays for the writeback of the one before it.
        for (const name of rotate(targetNames, round)) {
          const s = servers[name];
          settleDisk();
          const put = await bigPut(s.origin, paths[name]![round]!.put, s.pid, body);
          const get = await bigGet(s.origin, paths[name]![round]!.get, s.pid, body.size);
          (puts[name] ??= []).push(put);
          (gets[name] ??= []).push(get);
          log(`round ${round + 1} W4 ${name}: PUT ${put.mibPerSec.toFixed(0)} MiB/s (+${(put.rssGrowth / 2 ** 20).toFixed(1)} MiB RSS), ` +
            `GET ${get.mibPerSec.toFixed(0)} MiB/s (+${(get.rssGrowth / 2 ** 20).toFixed(1)} MiB RSS)`);
        }
      }
      for (const [direction, all] of [['PUT', puts], ['GET', gets]] as const) {
        const byTarget: Record<string, TransferFigure> = {};
        for (const name of targetNames) {
          const results = all[name]!;
          byTarget[name] = {
            mibPerSec: median(results.map((r) => r.mibPerSec)),
            rssGrowthMiB: Math.max(...results.map((r) => r.rssGrowth)) / 2 ** 20,
            rssBeforeMiB: median(results.map((r) => r.rssBefore)) / 2 ** 20,
            rounds: results,
          };
        }
        report.transfers[direction] = byTarget;
      }
    }
  } finally {
    for (const target of Object.values(servers)) await target.stop();
  }

  report.targets = evaluateTargets(report);
  report.elapsedSec = Math.round((performance.now() - started) / 100) / 10;
  printReport(report);
  mkdirSync(dirname(resolve(args.out)), { recursive: true });
  writeFileSync(resolve(args.out), `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${resolve(args.out)}`);
}

await main();
