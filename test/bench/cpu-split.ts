/**
 * Where a server's CPU goes during one workload, by thread (user and system time): the event
 * loop, libuv's thread pool and the rest (V8's GC and compiler threads). A diagnostic for
 * `npm run bench` figures, not a benchmark itself.
 *
 *   npx tsx test/bench/cpu-split.ts [--only W3-PUT] [--targets signet,floor] [--duration 3] [--warmup 0] [--gc] [--perf FILE] [--cpu-prof DIR]
 *
 * --gc counts the full GCs and scavenges V8 ran during the measured load (node --trace-gc).
 *
 * --perf FILE records each server with `perf record -g` (node --perf-basic-prof names JIT
 * frames): read it with `perf report -i FILE.W3-PUT.signet`. --cpu-prof DIR runs each server
 * under `node --cpu-prof` (read the profile with profile-top.ts).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './load.ts';
import { forEachPrepared } from './prepared.ts';
import { parseEnvList, type TargetName } from './targets.ts';

const TICKS = 100;

type Split = Record<string, { user: number; system: number }>;

export function threadTimes(pid: number): Split {
  const out: Split = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const group = tid === String(pid) ? 'event loop' : `${name} ${tid}`;
    const entry = (out[group] ??= { user: 0, system: 0 });
    entry.user += Number(rest[11]) / TICKS;
    entry.system += Number(rest[12]) / TICKS;
  }
  return out;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      only: { type: 'string', default: 'W3-PUT' },
      targets: { type: 'string', default: 'floor,signet' },
      duration: { type: 'string', default: '3' },
      /** Seconds of the same load before measuring: the steady state, JIT compilation done */
      warmup: { type: 'string', default: '0' },
      connections: { type: 'string', default: '16' },
      /** Count V8's garbage collections during the measured load (node --trace-gc) */
      gc: { type: 'boolean', default: false },
      /** Record the server with `perf record -g` during the load into this file (JIT frames named) */
      perf: { type: 'string' },
      'cpu-prof': { type: 'string' },
      /** Extra node flags for the servers, space-separated (e.g. "--single-threaded-gc") */
      'node-args': { type: 'string', default: '' },
      /** Extra environment for the servers, comma-separated K=V (e.g. UV_THREADPOOL_SIZE=2) */
      env: { type: 'string', default: '' },
    },
  });
  const launch = (id: string, name: TargetName) => ({
    nodeArgs: [
      ...args['node-args'].split(' ').filter(Boolean),
      ...(args.gc ? ['--trace-gc'] : []),
      ...(args.perf ? ['--perf-basic-prof'] : []),
      ...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-interval', '250', '--cpu-prof-dir', resolve(args['cpu-prof'], `${id}.${name}`)] : []),
    ],
    env: parseEnvList(args.env),
  });
  await forEachPrepared(args.only, args.targets, Number(args.connections), launch, async ({ id, name, target, load }) => {
    if (Number(args.warmup) > 0) await runLoad({ ...load, durationSec: Number(args.warmup) });
    const perf = args.perf
      ? spawn('perf', ['record', '-F', '999', '-g', '-p', String(target.pid), '-o', `${args.perf}.${id}.${name}`], { stdio: 'ignore' })
      : undefined;
    const before = threadTimes(target.pid);
    const printed = target.output().length;
    const result = await runLoad({ ...load, durationSec: Number(args.duration) });
    const after = threadTimes(target.pid);
    const gcLines = target.output().slice(printed);
    if (perf) {
      perf.kill('SIGINT');
      await new Promise((resolve) => perf.on('exit', resolve));
    }
    const n = result.answered;
    const gcs = args.gc ? `, ${countOf(gcLines, 'Mark-Compact')} full GCs, ${countOf(gcLines, 'Scavenge')} scavenges` : '';
    console.log(`${id} ${name}: ${Math.round(result.perSec)} req/s, ${n} answers${gcs}; CPU ms per answer (user + system):`);
    for (const [group, t] of Object.entries(after)) {
      const b = before[group] ?? { user: 0, system: 0 };
      const user = ((t.user - b.user) * 1000) / n;
      const system = ((t.system - b.system) * 1000) / n;
      if (user + system < 0.005) continue;
      console.log(`  ${group.padEnd(16)} ${user.toFixed(3)} + ${system.toFixed(3)} = ${(user + system).toFixed(3)}`);
    }
  });
}

/** How often `word` occurs in `text` (a --trace-gc line names its kind once). */
export function countOf(text: string, word: string): number {
  return text.split(word).length - 1;
}

// Imported by cpu-split-big.ts for threadTimes and countOf: run only as a script.
if (import.meta.url === `file://${process.argv[1]}`) await main();
