/**
 * src/sigv2 is pure (architecture guide): no HTTP framework, no file system, no database, no
 * environment, no clock. Time and the token lookup come in through VerifyContext.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../../src/sigv2/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

const FORBIDDEN: [string, RegExp][] = [
  ['express', /from\s+['"]express['"]|import\(\s*['"]express['"]/],
  ['busboy', /from\s+['"]busboy['"]/],
  ['better-sqlite3', /from\s+['"]better-sqlite3['"]/],
  ['node:fs', /from\s+['"](node:)?fs(\/promises)?['"]/],
  ['process.env', /process\.env/],
  ['the clock (Date.now)', /Date\.now\(/],
  ['the clock (new Date())', /new Date\(\s*\)/],
  ['the HTTP layer (src/http)', /from\s+['"]\.\.\/http\//],
];

describe('src/sigv2 purity', () => {
  it('has the modules the rest of signet imports', () => {
    expect(FILES).toEqual(expect.arrayContaining(['verify.ts', 'string-to-sign.ts']));
  });

  for (const file of FILES) {
    it(`${file} imports no express, busboy, better-sqlite3, fs, env, clock or HTTP layer`, () => {
      const source = readFileSync(join(DIR, file), 'utf8');
      for (const [what, pattern] of FORBIDDEN) expect(source, `${file} uses ${what}`).not.toMatch(pattern);
    });
  }
});
