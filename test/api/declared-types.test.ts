/**
 * The package ships hand-written declarations (src/signet.d.ts) so that consumers type-check
 * without signet's sources. These assertions tie them to the implementation: `npm run
 * typecheck` fails when either drifts (the runtime half checks where package.json points).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as Declared from '../../src/signet.d.ts';
import * as impl from '../../src/index.ts';
import { PROJECT_ROOT } from '../helpers/spawn-server.ts';

describe('the declared API matches the implementation', () => {
  it('startSignet: every declared call is a valid call, and its result has every declared member', () => {
    expectTypeOf(impl.startSignet).toExtend<typeof Declared.startSignet>();
    expectTypeOf<Declared.StartSignetOptions>().toExtend<impl.StartSignetOptions>();
    expectTypeOf<impl.Signet>().toExtend<Declared.Signet>();
    expectTypeOf<Declared.CreateTokenOptions>().toExtend<impl.CreateTokenOptions>();
    expectTypeOf<impl.CreatedTokenJson>().toEqualTypeOf<Declared.CreatedTokenJson>();
    expectTypeOf<impl.ExplainReport>().toExtend<Declared.ExplainReport>();
    expectTypeOf<impl.RequestRecord>().toExtend<Declared.RequestRecord>();
    expectTypeOf<Declared.SignetInit>().toExtend<impl.SignetInit>();
    expectTypeOf<impl.SignetInit>().toExtend<Declared.SignetInit>();
    expect(typeof impl.startSignet).toBe('function');
  });

  it('package.json: types and the JS entry for "signet-s3", the schema as a subpath', () => {
    const pkg = JSON.parse(readFileSync(`${PROJECT_ROOT}/package.json`, 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './src/signet.d.ts', default: './src/index.js' });
    expect(pkg.main).toBe('src/index.js');
    expect(pkg.types).toBe('src/signet.d.ts');
  });

  it('the JS entry exports what the declarations declare', async () => {
    const entry = await import('signet-s3');
    expect(Object.keys(entry).sort()).toEqual(['InitError', 'startSignet']);
    expect(new entry.InitError('x')).toBeInstanceOf(Error);
  });
});
