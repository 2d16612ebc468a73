/**
 * How a server's rate evolves from its start: one workload run in back-to-back windows on a
 * fresh server, each window's rate and CPU per answer printed. Shows how long JIT warm-up
 * takes, which `npm run bench`'s short rounds partly measure. A diagnostic, like cpu-split.ts.
 *
 *   npx tsx test/bench/timeline.ts [--only W7] [--targets signet,floor] [--windows 15] [--window 1]
 *                                  [--node-args "..."] [--env K=V,...]
 */
import { parseArgs } from 'node:util';
import { runLoad } from './load.ts';
import { closeSeedConnections, createBucket } from './requests.ts';
import { parseEnvList, startTarget, type TargetName } from './targets.ts';
import { BUCKET, W1, W2, W3_GET, W3_PUT, W5, W7, type Workload } from './workloads.ts';

const ALL: Workload[] = [W1, W2, W3_PUT, W3_GET, W5, W7];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: 'W7' },
    targets: { type: 'string', default: 'signet,floor' },
    windows: { type: 'string', default: '15' },
    window: { type: 'string', default: '1' },
    connections: { type: 'string', default: '16' },
    'node-args': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
  },
});

for (const id of args.only.split(',')) {
  const workload = ALL.find((w) => w.id === id);
  if (!workload) throw new Error(`unknown workload ${id}`);
  for (const name of args.targets.split(',') as TargetName[]) {
    const target = await startTarget(name, { nodeArgs: args['node-args'].split(' ').filter(Boolean), env: parseEnvList(args.env) });
    try {
      await createBucket(target, BUCKET);
      const prepared = await workload.prepare(target);
      if (!prepared.ok) throw new Error(prepared.reason);
      closeSeedConnections();
      const rates: string[] = [];
      for (let i = 0; i < Number(args.windows); i++) {
        const r = await runLoad({
          origin: target.origin,
          serverPid: target.pid,
          pool: prepared.pool,
          expectStatus: prepared.expectStatus,
          connections: Number(args.connections),
          durationSec: Number(args.window),
        });
        rates.push(`${r.perSec.toFixed(0)} (${r.serverCpuMsPerAnswer.toFixed(2)})`);
      }
      console.log(`${id} ${name.padEnd(7)} ${rates.join('  ')}`);
    } finally {
      await target.stop();
    }
  }
}
