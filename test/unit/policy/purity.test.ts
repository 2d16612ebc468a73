/**
 * src/policy is a pure core (guides/architecture.md, dependency rule): no HTTP framework, no
 * multipart parser, no disk, no database, no environment, no clock. Time comes in as `now`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../../src/policy/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

const FORBIDDEN: Array<[string, RegExp]> = [
  ['express', /from\s+['"]express['"]|require\(['"]express['"]\)/],
  ['busboy', /from\s+['"]busboy['"]/],
  ['better-sqlite3', /from\s+['"]better-sqlite3['"]/],
  ['node:fs', /from\s+['"](node:)?fs(\/promises)?['"]/],
  ['process.env', /process\.env/],
  ['the clock (Date.now())', /Date\.now\(/],
  ['the clock (new Date())', /new Date\(\s*\)/],
];

describe('src/policy purity', () => {
  it('has source files to check', () => {
    expect(files).toEqual(expect.arrayContaining(['parse-policy.ts', 'evaluate-policy.ts', 'verify-post.ts', 'types.ts']));
  });

  const PURE_IMPORTS = ['../sigv4/signing-key.ts', '../sigv2/signature.ts', '../auth/spaced-hex.ts', '../access/token-status.ts'];

  it.each(files)('%s uses no express, busboy, sqlite, fs, env or clock', (file) => {
    const source = readFileSync(new URL(file, dir), 'utf8');
    const found = FORBIDDEN.filter(([, pattern]) => pattern.test(source)).map(([name]) => name);
    expect(found).toEqual([]);
  });

  it.each(files)('%s imports other project modules for types only, except the pure signing helpers, access token status and its own folder', (file) => {
    const source = readFileSync(new URL(file, dir), 'utf8');
    const valueImports = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1]);
    const outside = valueImports.filter(
      (p) => !p.startsWith('./') && !PURE_IMPORTS.includes(p),
    );
    expect(outside).toEqual([]);
  });
});
