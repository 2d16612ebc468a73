import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
for (const mode of ['WAL', 'WAL-excl', 'DELETE']) {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'sql-')), 'x.db'));
  db.pragma(`journal_mode = ${mode === 'DELETE' ? 'DELETE' : 'WAL'}`);
  if (mode === 'WAL-excl') db.pragma('locking_mode = EXCLUSIVE');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)');
  const ins = db.prepare('INSERT INTO t VALUES (?, ?)');
  for (let i = 0; i < 1000; i++) ins.run('k' + i, 'v'.repeat(100));
  const get = db.prepare('SELECT * FROM t WHERE k = ?');
  for (let i = 0; i < 20000; i++) get.get('k' + (i % 1000));
  const c0 = process.cpuUsage(); const t0 = performance.now(); const N = 100000;
  for (let i = 0; i < N; i++) get.get('k' + (i % 1000));
  const c = process.cpuUsage(c0);
  console.log(mode, ((performance.now() - t0) * 1000 / N).toFixed(2), 'us wall', ((c.user) / N).toFixed(2), 'user', (c.system / N).toFixed(2), 'sys');
  const get3 = db.transaction(() => { get.get('k1'); get.get('k2'); get.get('k3'); });
  const t1 = performance.now(); for (let i = 0; i < N / 3; i++) get3(); console.log('  3 in one txn', ((performance.now() - t1) * 1000 / (N / 3)).toFixed(2), 'us');
}
