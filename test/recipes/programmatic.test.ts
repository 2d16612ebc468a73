/**
 * The README's programmatic-API recipes, run in a project of their own that installed signet
 * (node_modules/signet-s3 -> this checkout): the ten-line vitest suite, the globalSetup and
 * inject pair, the plain .mjs script, and the TypeScript types they are written against.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/spawn-server.ts';
import { cleanEnv, consumerProject, recipe } from './readme.ts';

const SDK = ['@aws-sdk/client-s3', '@aws-sdk/s3-request-presigner'];

describe('README: signet in a test suite', () => {
  let dir: string;
  beforeAll(() => {
    dir = consumerProject([...SDK, 'vitest', 'vite', '@types/node']);
    mkdirSync(join(dir, 'test'));
    writeFileSync(join(dir, 'test', 'photos.test.ts'), recipe('vitest-example').code);
    writeFileSync(join(dir, 'test', 'signet-setup.ts'), recipe('vitest-global-setup').code);
    writeFileSync(join(dir, 'test', 'inject.test.ts'), recipe('vitest-inject').code);
    // as the globalSetup recipe's first line says
    writeFileSync(
      join(dir, 'vitest.config.ts'),
      "import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { globalSetup: ['./test/signet-setup.ts'] } });\n",
    );
    writeFileSync(join(dir, 'script.mjs'), recipe('node-script').code);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the ten-line vitest example and the globalSetup + inject pair pass in a project of their own', () => {
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=verbose'], {
      cwd: dir,
      env: cleanEnv({ NO_COLOR: '1' }),
      encoding: 'utf8',
      timeout: 180_000,
    });
    // eslint-disable-next-line no-control-regex
    const out = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    expect(out, out).toMatch(/✓ test\/photos\.test\.ts > a photo goes up and comes back/);
    expect(out).toMatch(/✓ test\/inject\.test\.ts > the bucket from globalSetup is there/);
    expect(out).toMatch(/Tests\s+2 passed \(2\)/);
    expect(r.status).toBe(0);
  }, 300_000);

  it('the plain script runs with node, creates a token and moves the clock', () => {
    const r = spawnSync(process.execPath, ['script.mjs'], { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr.replace(/^.*NodeVersionSupportWarning[\s\S]*?trace-warnings.*\n/m, '')).toBe('');
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+ SGNT[A-Z2-7]{16}\n$/);
    expect(r.status).toBe(0);
  });

  it("the examples type-check against the package's declarations, with a consumer's usual tsconfig", () => {
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
        include: ['test/*.ts', 'check-types.ts'],
      }),
    );
    // and a misuse the declarations must catch
    writeFileSync(
      join(dir, 'check-types.ts'),
      [
        "import { startSignet, type Signet, type CreatedTokenJson } from 'signet-s3';",
        'const s: Signet = await startSignet({ port: 0, clockControl: true, init: { tokens: [{ name: "ci", access: "read" }] } });',
        'const t: CreatedTokenJson = await s.createToken({ name: "x", access: "read-write", expiresIn: "1h" });',
        'const d: Date = s.clock.advance("2h");',
        'const verdict: "accepted" | "refused" = s.explain("http://x/b/k", { method: "PUT" }).verdict;',
        '// @ts-expect-error access is read | write | read-write',
        'await s.createToken({ name: "y", access: "admin" });',
        'export { t, d, verdict };',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 300_000);

  it('the declaration file compiles on its own under strict settings', () => {
    const r = spawnSync(
      process.execPath,
      [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--lib', 'es2022', join(PROJECT_ROOT, 'src/signet.d.ts')],
      // from an empty directory: no @types package is picked up
      { cwd: tmpdir(), encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
