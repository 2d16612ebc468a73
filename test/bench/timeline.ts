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
import { forEachPrepared } from './prepared.ts';
import { parseEnvList } from './targets.ts';

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

const launch = () => ({ nodeArgs: args['node-args'].split(' ').filter(Boolean), env: parseEnvList(args.env) });
await forEachPrepared(args.only, args.targets, Number(args.connections), launch, async ({ id, name, load }) => {
  const rates: string[] = [];
  for (let i = 0; i < Number(args.windows); i++) {
    const r = await runLoad({ ...load, durationSec: Number(args.window) });
    rates.push(`${r.perSec.toFixed(0)} (${r.serverCpuMsPerAnswer.toFixed(2)})`);
  }
  console.log(`${id} ${name.padEnd(7)} ${rates.join('  ')}`);
});
