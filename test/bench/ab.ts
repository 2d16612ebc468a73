/**
 * A change measured against the code before it: the signet of another checkout ('before') and
 * this one ('after') run side by side, and one workload alternates between them, round after
 * round (before, after, after, before, ...). Prints each round's rate and server CPU per answer,
 * then the medians and the median of the paired ratios. A diagnostic, like cpu-split.ts; the
 * figures that count are `npm run bench`'s.
 *
 *   npx tsx test/bench/ab.ts --before DIR [--only W3-PUT] [--rounds 6] [--duration 3]
 *                            [--after-env K=V,...] [--after-node-args "..."]
 *
 * --after-env and --after-node-args start 'after' with more environment or node flags: with
 * --before pointing at this same checkout, that measures a setting (UV_THREADPOOL_SIZE=2).
 *
 * DIR is a checkout with its own node_modules (e.g. `git worktree add /tmp/before HEAD~1` and a
 * symlink to this checkout's node_modules).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad, type LoadResult } from './load.ts';
import { median, pairedRatio } from './report.ts';
import { closeSeedConnections, createBucket } from './requests.ts';
import { parseEnvList, startTarget, type Target } from './targets.ts';
import { workloadById } from './prepared.ts';
import { BUCKET, type Workload } from './workloads.ts';

const { values: args } = parseArgs({
  options: {
    before: { type: 'string' },
    only: { type: 'string', default: 'W3-PUT' },
    rounds: { type: 'string', default: '6' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    'after-env': { type: 'string', default: '' },
    'after-node-args': { type: 'string', default: '' },
  },
});
if (!args.before) throw new Error('usage: ab.ts --before DIR [--only W3-PUT] [--rounds N] [--duration SEC]');

for (const id of args.only.split(',')) {
  const workload = workloadById(id);
  const servers: Record<'before' | 'after', Target> = {
    before: await startTarget('signet-before', { beforeRoot: resolve(args.before) }),
    after: await startTarget('signet', {
      env: parseEnvList(args['after-env']),
      nodeArgs: args['after-node-args'].split(' ').filter(Boolean),
    }),
  };
  try {
    const pools = {} as Record<'before' | 'after', Awaited<ReturnType<Workload['prepare']>>>;
    for (const side of ['before', 'after'] as const) {
      await createBucket(servers[side], BUCKET);
      pools[side] = await workload.prepare(servers[side]);
      const p = pools[side];
      if (!p.ok) throw new Error(p.reason);
    }
    closeSeedConnections();
    const results: Record<'before' | 'after', LoadResult[]> = { before: [], after: [] };
    for (let round = 0; round < Number(args.rounds); round++) {
      const order = round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
      for (const side of order) {
        const p = pools[side];
        if (!p.ok) continue;
        const options = { origin: servers[side].origin, serverPid: servers[side].pid, pool: p.pool, expectStatus: p.expectStatus, connections: Number(args.connections) };
        if (round === 0) await runLoad({ ...options, durationSec: 1 });
        const r = await runLoad({ ...options, durationSec: Number(args.duration) });
        results[side].push(r);
        console.log(`round ${round + 1} ${id} ${side.padEnd(6)} ${r.perSec.toFixed(0).padStart(6)}/s  ${r.serverCpuMsPerAnswer.toFixed(3)} ms CPU per answer`);
      }
    }
    const rate = (side: 'before' | 'after') => results[side].map((r) => r.perSec);
    const cpu = (side: 'before' | 'after') => results[side].map((r) => r.serverCpuMsPerAnswer);
    console.log(
      `${id}: before ${median(rate('before')).toFixed(0)}/s ${median(cpu('before')).toFixed(3)} ms, ` +
        `after ${median(rate('after')).toFixed(0)}/s ${median(cpu('after')).toFixed(3)} ms; ` +
        `after / before: rate ${pairedRatio(rate('after'), rate('before'))!.toFixed(3)}x, CPU per answer ${pairedRatio(cpu('after'), cpu('before'))!.toFixed(3)}x`,
    );
  } finally {
    await Promise.all([servers.before.stop(), servers.after.stop()]);
  }
}
