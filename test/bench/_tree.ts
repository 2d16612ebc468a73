import { readFileSync } from 'node:fs';
const [file, rootName, depthArg = '6', minArg = '0.5'] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file!, 'utf8'));
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const selfT = new Map<number, number>();
p.samples.forEach((id: number, i: number) => selfT.set(id, (selfT.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const totalT = new Map<number, number>();
function tot(id: number): number { if (totalT.has(id)) return totalT.get(id)!; const n = byId.get(id); let t = selfT.get(id) ?? 0; for (const c of n.children ?? []) t += tot(c); totalT.set(id, t); return t; }
const lab = (n: any) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/\?tsx.*$/, '').replace(/^.*\/(node_modules|src)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
// merge all nodes named rootName into one virtual tree keyed by label path
type Agg = { t: number; kids: Map<string, Agg> };
const root: Agg = { t: 0, kids: new Map() };
function add(agg: Agg, id: number, depth: number) {
  const n = byId.get(id); const l = lab(n);
  let a = agg.kids.get(l); if (!a) { a = { t: 0, kids: new Map() }; agg.kids.set(l, a); }
  a.t += tot(id);
  if (depth < Number(depthArg)) for (const c of n.children ?? []) add(a, c, depth + 1);
}
function find(id: number, inside: boolean) { const n = byId.get(id); const match = lab(n).startsWith(rootName + ' '); if (match && !inside) { add(root, id, 0); return; } for (const c of n.children ?? []) find(c, inside || match); }
find(p.nodes[0].id, false);
const all = [...root.kids.values()].reduce((s, a) => s + a.t, 0);
function print(a: Agg, indent: string) { for (const [l, k] of [...a.kids].sort((x, y) => y[1].t - x[1].t)) { if (k.t / all * 100 < Number(minArg)) continue; console.log(`${(k.t / all * 100).toFixed(1).padStart(5)}% ${(k.t/1000).toFixed(0).padStart(5)}ms ${indent}${l}`); print(k, indent + '  '); } }
print(root, '');
