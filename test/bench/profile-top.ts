/**
 * Reads a V8 .cpuprofile (from `npm run bench -- --profile DIR`):
 *
 *   profile-top.ts FILE [--top N]             the N frames with the most self time, then total time
 *   profile-top.ts FILE --tree NAME [--depth D] [--min PCT]
 *                                             the call tree below every frame named NAME, merged
 *   profile-top.ts FILE --callers NAME        the call chains leading to frames whose label holds NAME
 *
 * A frame's label is "function file:line", project files shortened to src/… and test/….
 * Times are sampled wall time on the profiled thread: on a busy machine, read them as shares.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    tree: { type: 'string' },
    depth: { type: 'string', default: '6' },
    min: { type: 'string', default: '0.5' },
    callers: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [--top N | --tree NAME | --callers NAME]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfTime = new Map<number, number>();
let all = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  all += dt;
  selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
});

function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url
    .replace(/\?tsx-namespace=[^:]*$/, '')
    .replace(/^file:\/\//, '')
    .replace(/^.*\/(node_modules\/)/, '$1')
    .replace(/^.*\/(src|test)\//, '$1/');
  return `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
}

function line(us: number, total: number, text: string): string {
  return `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${text}\n`;
}

function print(title: string, map: Map<string, number>, count: number): void {
  process.stdout.write(`\n${title} (of ${(all / 1000).toFixed(0)} ms sampled)\n`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) process.stdout.write(line(us, all, name));
}

function stackOf(id: number): string[] {
  const stack: string[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(label(byId.get(cur)!));
  return stack;
}

function top(count: number): void {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const [id, us] of selfTime) {
    const own = label(byId.get(id)!);
    self.set(own, (self.get(own) ?? 0) + us);
    for (const l of new Set(stackOf(id))) total.set(l, (total.get(l) ?? 0) + us);
  }
  print('self time', self, count);
  print('total time', total, count);
}

function callers(name: string): void {
  const chains = new Map<string, number>();
  for (const [id, us] of selfTime) {
    const stack = stackOf(id);
    const at = stack.findIndex((l) => l.includes(name));
    if (at === -1) continue;
    const chain = stack.slice(at, at + 6).join('  <-  ');
    chains.set(chain, (chains.get(chain) ?? 0) + us);
  }
  print(`callers of ${name}`, chains, Number(opts.top));
}

interface Branch {
  us: number;
  children: Map<string, Branch>;
}

function tree(name: string, depth: number, minPct: number): void {
  const totals = new Map<number, number>();
  const totalOf = (id: number): number => {
    const known = totals.get(id);
    if (known !== undefined) return known;
    let us = selfTime.get(id) ?? 0;
    for (const c of byId.get(id)!.children ?? []) us += totalOf(c);
    totals.set(id, us);
    return us;
  };
  const root: Branch = { us: 0, children: new Map() };
  const add = (into: Branch, id: number, level: number): void => {
    const l = label(byId.get(id)!);
    let branch = into.children.get(l);
    if (!branch) into.children.set(l, (branch = { us: 0, children: new Map() }));
    branch.us += totalOf(id);
    if (level < depth) for (const c of byId.get(id)!.children ?? []) add(branch, c, level + 1);
  };
  // The outermost frames named NAME: a recursive call is counted once, inside its caller.
  const visit = (id: number): void => {
    if (label(byId.get(id)!).startsWith(`${name} `) || label(byId.get(id)!) === name) return add(root, id, 0);
    for (const c of byId.get(id)!.children ?? []) visit(c);
  };
  visit(profile.nodes[0]!.id);
  const sum = [...root.children.values()].reduce((s, b) => s + b.us, 0);
  const show = (branch: Branch, indent: string): void => {
    for (const [l, child] of [...branch.children].sort((a, b) => b[1].us - a[1].us)) {
      if ((child.us / sum) * 100 < minPct) continue;
      process.stdout.write(line(child.us, sum, indent + l));
      show(child, `${indent}  `);
    }
  };
  process.stdout.write(`\ncall tree below ${name} (shares of its ${(sum / 1000).toFixed(0)} ms)\n`);
  show(root, '');
}

if (opts.tree) tree(opts.tree, Number(opts.depth), Number(opts.min));
else if (opts.callers) callers(opts.callers);
else top(Number(opts.top));
