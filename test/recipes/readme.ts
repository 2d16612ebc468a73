/**
 * The README's recipes, as users copy them: each tested block follows a marker line
 *
 *   <!-- recipe: NAME -->
 *   ```lang
 *   ...
 *   ```
 *
 * so that the tests run exactly what the README shows. SIGNET_README points the tests at
 * another file (a draft of the README) when set.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/spawn-server.ts';

export const README_PATH = process.env.SIGNET_README ?? join(PROJECT_ROOT, 'README.md');

export interface Recipe {
  lang: string;
  code: string;
}

export function recipe(name: string): Recipe {
  const text = readFileSync(README_PATH, 'utf8');
  const marker = `<!-- recipe: ${name} -->`;
  const at = text.indexOf(marker);
  if (at === -1) throw new Error(`${README_PATH} has no "${marker}" block`);
  const m = /^\r?\n```(\w*)\r?\n([\s\S]*?)^```\s*$/m.exec(text.slice(at + marker.length));
  if (!m || m.index !== 0) throw new Error(`"${marker}" in ${README_PATH} is not followed by a fenced code block`);
  return { lang: m[1]!, code: m[2]! };
}

/** Replaces the README's endpoint (http://127.0.0.1:9000) with a test server's. */
export function withEndpoint(code: string, url: string): string {
  return code.replaceAll('http://127.0.0.1:9000', url);
}

/**
 * A project of its own that depends on signet as users install it: node_modules/signet-s3 is
 * this checkout (a link, as `npm install ../signet` makes), with its `signet` bin, and the
 * listed packages from this checkout's node_modules.
 */
export function consumerProject(packages: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'signet-consumer-'));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', devDependencies: { 'signet-s3': '*' } }));
  symlinkSync(PROJECT_ROOT, join(dir, 'node_modules', 'signet-s3'), 'dir');
  symlinkSync(join(PROJECT_ROOT, 'src', 'cli', 'bin.js'), join(dir, 'node_modules', '.bin', 'signet'));
  for (const pkg of packages) {
    const target = join(dir, 'node_modules', pkg);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, 'node_modules', pkg), target, 'dir');
  }
  return dir;
}

/** The environment minus what would leak from this test run into a nested tool. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(VITEST|SIGNET_|AWS_|NODE_OPTIONS$|TEST$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '', ...extra };
}

/** A port free right now (for recipes that name a fixed port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
