/**
 * What the diagnostics (cpu-split.ts, timeline.ts) share: each workload asked for, on each
 * server asked for, started fresh with its bucket made and its requests prepared, then stopped.
 */
import type { LoadOptions } from './load.ts';
import { closeSeedConnections, createBucket } from './requests.ts';
import { startTarget, type LaunchOptions, type Target, type TargetName } from './targets.ts';
import { BUCKET, W1, W2, W3_GET, W3_PUT, W5, W7, type Workload } from './workloads.ts';

/** The workloads of many small requests (W4 and W6 have their own diagnostics or none). */
export const LOAD_WORKLOADS: Workload[] = [W1, W2, W3_PUT, W3_GET, W5, W7];

export function workloadById(id: string): Workload {
  const workload = LOAD_WORKLOADS.find((w) => w.id === id);
  if (!workload) throw new Error(`unknown workload ${id}`);
  return workload;
}

export interface PreparedRun {
  id: string;
  name: TargetName;
  target: Target;
  /** runLoad's options but the duration */
  load: Omit<LoadOptions, 'durationSec'>;
}

/**
 * `only` and `targets` are comma-separated lists (W7,W3-PUT; signet,floor). `launch` gives each
 * server's node flags and environment.
 */
export async function forEachPrepared(
  only: string,
  targets: string,
  connections: number,
  launch: (id: string, name: TargetName) => LaunchOptions,
  run: (prepared: PreparedRun) => Promise<void>,
): Promise<void> {
  for (const id of only.split(',')) {
    const workload = workloadById(id);
    for (const name of targets.split(',') as TargetName[]) {
      const target = await startTarget(name, launch(id, name));
      try {
        await createBucket(target, BUCKET);
        const prepared = await workload.prepare(target);
        if (!prepared.ok) throw new Error(prepared.reason);
        closeSeedConnections();
        const load = { origin: target.origin, serverPid: target.pid, pool: prepared.pool, expectStatus: prepared.expectStatus, connections };
        await run({ id, name, target, load });
      } finally {
        await target.stop();
      }
    }
  }
}
