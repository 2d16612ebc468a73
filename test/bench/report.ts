/**
 * The benchmark's results: the JSON shape, the table printed to stdout, and signet's targets
 * (issue 6) checked against the figures.
 */
import type { LoadResult } from './load.ts';
import type { TransferResult } from './transfer.ts';

export type Figure =
  | {
      perSec: number;
      p50Ms: number;
      p99Ms: number;
      /** Share of one core used by the load generator / by the server (medians) */
      generatorCpu: number;
      serverCpu: number;
      failures: number;
      /** Measured one request at a time (seconds per answer) */
      sequential?: boolean;
      rounds: LoadResult[];
    }
  | { unavailable: string };

export interface TransferFigure {
  mibPerSec: number;
  /** Largest growth over the rounds */
  rssGrowthMiB: number;
  rssBeforeMiB: number;
  rounds: TransferResult[];
}

export interface TargetCheck {
  id: string;
  what: string;
  value: string;
  target: string;
  /** undefined: not measured in this run */
  met?: boolean;
}

export interface BenchReport {
  meta: Record<string, unknown>;
  workloads: Record<string, { title: string; unit: string; byTarget: Record<string, Figure> }>;
  transfers: Partial<Record<'PUT' | 'GET', Record<string, TransferFigure>>>;
  coldStartMs: Record<string, { samples: number[]; median: number }>;
  targets: TargetCheck[];
  elapsedSec: number;
}

function perSec(report: BenchReport, id: string, target: string): number | undefined {
  const f = report.workloads[id]?.byTarget[target];
  return f && 'perSec' in f ? f.perSec : undefined;
}

function roundRates(report: BenchReport, id: string, target: string): number[] | undefined {
  const f = report.workloads[id]?.byTarget[target];
  return f && 'rounds' in f ? f.rounds.map((r) => r.perSec) : undefined;
}

/** The median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * a / b as the median of the per-round ratios a[i] / b[i]: round i measured both within a few
 * seconds of each other, so a machine that runs faster or slower for a while (a shared VM) moves
 * both sides of a pair alike. The ratio of the two medians would pair a fast round of one server
 * with a slow round of the other. Falls back to that ratio where rounds do not pair up.
 */
export function pairedRatio(a: number[], b: number[]): number | undefined {
  if (a.length === 0 || a.length !== b.length) return b.length && a.length ? median(a) / median(b) : undefined;
  const ratios = a.flatMap((value, i) => (b[i]! > 0 ? [value / b[i]!] : []));
  return ratios.length ? median(ratios) : undefined;
}

function ratioTo(report: BenchReport, id: string, target: string, base = 'floor', baseId = id): number | undefined {
  const value = roundRates(report, id, target);
  const floor = roundRates(report, baseId, base);
  return value && floor ? pairedRatio(value, floor) : undefined;
}

/** Two decimals, cut rather than rounded: 0.897 shows as 0.89x, never as a target's 0.90x. */
function x(ratio: number): string {
  return `${(Math.floor(ratio * 100) / 100).toFixed(2)}x`;
}

export function evaluateTargets(report: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const vsFloor = (id: string, min: number) => {
    const ratio = ratioTo(report, id, 'signet');
    const f = report.workloads[id]?.byTarget.signet;
    if (!report.workloads[id]) return;
    checks.push({
      id,
      what: `${report.workloads[id]!.title}, signet / floor`,
      value: ratio !== undefined ? x(ratio) : f && 'unavailable' in f ? `unavailable: ${f.unavailable}` : 'not measured',
      target: `>= ${min}x`,
      met: ratio !== undefined ? ratio >= min : f && 'unavailable' in f ? false : undefined,
    });
  };
  vsFloor('W1', 0.6);
  vsFloor('W2', 0.6);
  vsFloor('W3-PUT', 0.6);
  vsFloor('W3-GET', 0.6);
  vsFloor('W7', 0.6);
  for (const direction of ['PUT', 'GET'] as const) {
    const t = report.transfers[direction];
    if (!t?.signet || !t.floor) continue;
    const ratio = pairedRatio(t.signet.rounds.map((r) => r.mibPerSec), t.floor.rounds.map((r) => r.mibPerSec))!;
    checks.push({ id: `W4-${direction}`, what: `W4 1 GiB ${direction} MiB/s, signet / floor`, value: x(ratio), target: '>= 0.9x', met: ratio >= 0.9 });
    checks.push({
      id: `W4-${direction}-RSS`,
      what: `W4 1 GiB ${direction}, signet's RSS growth`,
      value: `${t.signet.rssGrowthMiB.toFixed(1)} MiB`,
      target: '<= 64 MiB',
      met: t.signet.rssGrowthMiB <= 64,
    });
  }
  const w5 = perSec(report, 'W5', 'signet');
  const w1 = perSec(report, 'W1', 'signet');
  const w5w1 = ratioTo(report, 'W5', 'signet', 'signet', 'W1');
  if (w5 !== undefined && w1 !== undefined && w5w1 !== undefined) {
    checks.push({ id: 'W5', what: 'W5 403/s vs W1 req/s, signet', value: `${w5.toFixed(0)} vs ${w1.toFixed(0)} (${x(w5w1)})`, target: '>= 1.0x', met: w5w1 >= 1 });
  }
  vsFloor('W6', 0.3);
  const cold = report.coldStartMs.signet;
  if (cold) checks.push({ id: 'COLD', what: 'cold start to /_signet/health (tsx cache warm)', value: `${cold.median.toFixed(0)} ms`, target: '< 1000 ms', met: cold.median < 1000 });
  return checks;
}

/** Whole numbers, but two decimals below 10 (s3rver's listing is under one page a second). */
function fmt(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return '-';
  const d = digits ?? (Math.abs(n) < 10 && n !== 0 ? 2 : 0);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export function printReport(report: BenchReport): void {
  const targets = report.meta.targets as string[];
  const others = targets.filter((t) => t !== 'floor');
  const header = ['workload', 'unit', 'floor', ...others];
  const rows: string[][] = [header];
  const withRatio = (value: number, floor: number | undefined, higherIsBetter = true) =>
    floor ? `${fmt(value)} (${x(higherIsBetter ? value / floor : floor / value)})` : fmt(value);

  for (const [id, w] of Object.entries(report.workloads)) {
    const floor = w.byTarget.floor;
    const floorPerSec = floor && 'perSec' in floor ? floor.perSec : undefined;
    rows.push([
      w.title,
      w.unit,
      floorPerSec !== undefined ? fmt(floorPerSec) : 'n/a',
      ...others.map((t) => {
        const f = w.byTarget[t];
        if (!f) return '-';
        if ('unavailable' in f) return 'n/a';
        const ratio = ratioTo(report, id, t);
        const value = ratio !== undefined ? `${fmt(f.perSec)} (${x(ratio)})` : fmt(f.perSec);
        return f.sequential ? `${value} *` : value;
      }),
    ]);
    rows.push([
      '  latency p50 / p99',
      'ms',
      ...targets.map((t) => {
        const f = w.byTarget[t];
        return f && 'perSec' in f ? `${fmt(f.p50Ms, 1)} / ${fmt(f.p99Ms, 1)}` : '-';
      }),
    ]);
  }
  for (const direction of ['PUT', 'GET'] as const) {
    const t = report.transfers[direction];
    if (!t) continue;
    const size = `${report.meta.bigMiB} MiB`;
    const mib = (n: string) => t[n]!.rounds.map((r) => r.mibPerSec);
    rows.push([`W4 presigned ${direction} ${size}`, 'MiB/s', fmt(t.floor!.mibPerSec), ...others.map((n) => `${fmt(t[n]!.mibPerSec)} (${x(pairedRatio(mib(n), mib('floor'))!)})`)]);
    rows.push([`  server RSS growth (max)`, 'MiB', ...targets.map((n) => fmt(t[n]!.rssGrowthMiB, 1))]);
  }
  const floorCold = report.coldStartMs.floor?.median;
  if (floorCold !== undefined) {
    rows.push(['cold start to health (median)', 'ms', fmt(floorCold), ...others.map((n) => (report.coldStartMs[n] ? withRatio(report.coldStartMs[n]!.median, floorCold, false) : '-'))]);
    const first = report.coldStartMs['signet (empty tsx cache)'];
    if (first) rows.push(['  first start, empty tsx cache', 'ms', '', ...others.map((n) => (n === 'signet' ? fmt(first.median) : ''))]);
  }

  const m = report.meta;
  const out: string[] = [];
  out.push('');
  out.push(
    `signet benchmark: node ${m.node}, ${m.cpus}, ${m.rounds} rounds x ${m.durationSec} s at ${m.connections} connections ` +
      `(W4: ${m.bigRounds} rounds), ` +
      `medians; (ratio) = vs the floor, the median of the rounds' ratios${m.floorFsync ? '' : ' (floor without fsync)'}`,
  );
  out.push('');
  out.push(table(rows));
  const sequential = Object.values(report.workloads).some((w) => Object.values(w.byTarget).some((f) => 'sequential' in f && f.sequential));
  if (sequential) out.push('* seconds per answer: measured one request at a time, not at the stated concurrency');
  out.push('');

  const cpuRows: string[][] = [['load generator / server CPU (share of one core)', ...targets]];
  for (const [, w] of Object.entries(report.workloads)) {
    cpuRows.push([
      w.title,
      ...targets.map((t) => {
        const f = w.byTarget[t];
        return f && 'perSec' in f ? `${fmt(f.generatorCpu * 100)}% / ${fmt(f.serverCpu * 100)}%` : '-';
      }),
    ]);
  }
  out.push(table(cpuRows));
  out.push('');

  const targetRows: string[][] = [['signet target', 'measured', 'target', '']];
  for (const check of report.targets) targetRows.push([check.what, check.value, check.target, check.met === undefined ? '' : check.met ? 'met' : 'MISSED']);
  out.push(table(targetRows));
  out.push('');
  const failures = Object.entries(report.workloads).flatMap(([id, w]) =>
    Object.entries(w.byTarget).flatMap(([t, f]) => ('failures' in f && f.failures > 0 ? [`${id} ${t}: ${f.failures} unexpected answers`] : [])),
  );
  if (failures.length) out.push(`unexpected answers (not counted in the rates): ${failures.join('; ')}`, '');
  out.push(`whole run: ${report.elapsedSec} s`);
  process.stdout.write(`${out.join('\n')}\n`);
}
