/**
 * cpu-split.ts for W4: one big presigned PUT per server, then a GET of it, each with its CPU
 * split by thread and, with --gc, the garbage collections V8 ran during it (node --trace-gc).
 *
 *   npx tsx test/bench/cpu-split-big.ts [--mib 512] [--targets floor,signet] [--gc] [--profile DIR]
 */
import { parseArgs } from 'node:util';
import { countOf, threadTimes } from './cpu-split.ts';
import { createBucket, presignedPaths } from './requests.ts';
import { startTarget, type TargetName } from './targets.ts';
import { bigBody, bigGet, bigPut, type TransferResult } from './transfer.ts';
import { BUCKET } from './workloads.ts';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '512' },
    targets: { type: 'string', default: 'floor,signet' },
    gc: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const body = bigBody(Number(args.mib) * 1024 * 1024);
for (const name of args.targets.split(',') as TargetName[]) {
  const nodeArgs = [...(args.gc ? ['--trace-gc'] : []), ...(args.profile ? ['--cpu-prof', '--cpu-prof-dir', args.profile] : [])];
  const target = await startTarget(name, { nodeArgs });
  try {
    await createBucket(target, BUCKET);
    const [put] = await presignedPaths(target, 'PUT', BUCKET, ['w4/big']);
    const [get] = await presignedPaths(target, 'GET', BUCKET, ['w4/big']);
    const measured = async (what: string, transfer: () => Promise<TransferResult>) => {
      const before = threadTimes(target.pid);
      const printed = target.output().length;
      const r = await transfer();
      const after = threadTimes(target.pid);
      const gcLines = target.output().slice(printed);
      const gcs = args.gc ? `; ${countOf(gcLines, 'Mark-Compact')} full GCs, ${countOf(gcLines, 'Scavenge')} scavenges` : '';
      console.log(`${name} ${what}: ${r.mibPerSec.toFixed(0)} MiB/s${gcs}; CPU seconds (user + system):`);
      for (const [group, t] of Object.entries(after)) {
        const b = before[group] ?? { user: 0, system: 0 };
        if (t.user + t.system - b.user - b.system < 0.02) continue;
        console.log(`  ${group.padEnd(16)} ${(t.user - b.user).toFixed(2)} + ${(t.system - b.system).toFixed(2)}`);
      }
    };
    await measured('PUT', () => bigPut(target.origin, put!, target.pid, body));
    await measured('GET', () => bigGet(target.origin, get!, target.pid, body.size));
  } finally {
    await target.stop();
  }
}
