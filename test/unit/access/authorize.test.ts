import { describe, expect, it } from 'vitest';
import { authorize, mayManageBucket } from '../../../src/access/authorize.ts';
import type { AccessRequest, Token } from '../../../src/access/types.ts';

function token(overrides: Partial<Token> = {}): Token {
  return {
    accessKeyId: 'SGNTCI0000000001',
    secretAccessKey: 'never-shown-secret',
    name: 'ci',
    access: 'read-write',
    buckets: [],
    prefix: null,
    expiresAt: null,
    revokedAt: null,
    createdAt: '2030-01-01T00:00:00.000Z',
    root: false,
    ...overrides,
  };
}

const root = token({ name: 'root', root: true, accessKeyId: 'signetadmin' });

interface Case {
  name: string;
  token: Token;
  request: AccessRequest;
  /** undefined = allowed; else the exact summary of the denial */
  denied?: string;
}

const cases: Case[] = [
  // access
  { name: 'read token may GET an object', token: token({ access: 'read' }), request: { action: 'read', bucket: 'b', key: 'k' } },
  {
    name: 'read token may not write',
    token: token({ access: 'read' }),
    request: { action: 'write', bucket: 'b', key: 'k' },
    denied: 'token "ci" is read-only; a write needs write access',
  },
  { name: 'write token may write', token: token({ access: 'write' }), request: { action: 'write', bucket: 'b', key: 'k' } },
  {
    name: 'write token may not read',
    token: token({ access: 'write' }),
    request: { action: 'read', bucket: 'b', key: 'k' },
    denied: 'token "ci" is write-only; a read needs read access',
  },
  { name: 'read-write token may read', token: token(), request: { action: 'read', bucket: 'b', key: 'k' } },
  { name: 'read-write token may write', token: token(), request: { action: 'write', bucket: 'b', key: 'k' } },
  // list-buckets
  { name: 'read token may list buckets', token: token({ access: 'read' }), request: { action: 'list-buckets' } },
  { name: 'write token may list buckets', token: token({ access: 'write' }), request: { action: 'list-buckets' } },
  {
    name: 'a token limited to buckets and a prefix may still list buckets (the list is filtered)',
    token: token({ buckets: ['b'], prefix: 'uploads/' }),
    request: { action: 'list-buckets' },
  },
  // buckets
  { name: 'empty bucket list means every bucket', token: token(), request: { action: 'read', bucket: 'anything', key: 'k' } },
  { name: 'a listed bucket is allowed', token: token({ buckets: ['photos', 'logs'] }), request: { action: 'read', bucket: 'logs', key: 'k' } },
  {
    name: 'a bucket outside the list is denied',
    token: token({ buckets: ['photos', 'logs'] }),
    request: { action: 'read', bucket: 'secrets', key: 'k' },
    denied: 'bucket "secrets" is not in the buckets of token "ci" ("photos", "logs")',
  },
  {
    name: 'bucket names compare exactly (no case folding)',
    token: token({ buckets: ['photos'] }),
    request: { action: 'read', bucket: 'Photos', key: 'k' },
    denied: 'bucket "Photos" is not in the buckets of token "ci" ("photos")',
  },
  // prefix
  { name: 'a key under the prefix is allowed', token: token({ prefix: 'uploads/' }), request: { action: 'write', bucket: 'b', key: 'uploads/a.png' } },
  {
    name: 'a key outside the prefix is denied',
    token: token({ prefix: 'uploads/' }),
    request: { action: 'write', bucket: 'b', key: 'x/y' },
    denied: 'key "x/y" is outside the token prefix "uploads/"',
  },
  {
    name: 'the prefix is matched literally, not as a path ("uploads/../x" starts with it)',
    token: token({ prefix: 'uploads/' }),
    request: { action: 'read', bucket: 'b', key: 'uploads/../x' },
  },
  {
    name: 'the prefix without its slash is outside it',
    token: token({ prefix: 'uploads/' }),
    request: { action: 'read', bucket: 'b', key: 'uploads' },
    denied: 'key "uploads" is outside the token prefix "uploads/"',
  },
  { name: 'a listing whose prefix starts with the token prefix is allowed', token: token({ prefix: 'uploads/' }), request: { action: 'read', bucket: 'b', key: 'uploads/2024/' } },
  {
    name: 'a listing of the whole bucket is denied to a prefix token',
    token: token({ prefix: 'uploads/' }),
    request: { action: 'read', bucket: 'b', key: '' },
    denied: 'key "" is outside the token prefix "uploads/"',
  },
  {
    name: 'a listing with a shorter prefix than the token prefix is denied',
    token: token({ prefix: 'uploads/' }),
    request: { action: 'read', bucket: 'b', key: 'up' },
    denied: 'key "up" is outside the token prefix "uploads/"',
  },
  {
    name: 'a bucket-level request (no key) is outside any prefix',
    token: token({ prefix: 'uploads/' }),
    request: { action: 'read', bucket: 'b' },
    denied: 'the request is for the whole bucket, outside the token prefix "uploads/"',
  },
  { name: 'a bucket-level read without a prefix restriction is allowed', token: token({ access: 'read' }), request: { action: 'read', bucket: 'b' } },
  // admin
  {
    name: 'admin: a write token with an empty bucket list (all buckets) may not create buckets',
    token: token(),
    request: { action: 'admin', bucket: 'new' },
    denied:
      'token "ci" may not create, delete or configure bucket "new": that needs the root token, or a token with write access, no prefix, and the bucket named in its bucket list',
  },
  { name: 'admin: a write token naming the bucket may manage it', token: token({ access: 'write', buckets: ['new'] }), request: { action: 'admin', bucket: 'new' } },
  {
    name: 'admin: a read token naming the bucket may not manage it',
    token: token({ access: 'read', buckets: ['new'] }),
    request: { action: 'admin', bucket: 'new' },
    denied:
      'token "ci" may not create, delete or configure bucket "new": that needs the root token, or a token with write access, no prefix, and the bucket named in its bucket list',
  },
  {
    name: 'admin: a write token naming the bucket but confined to a prefix may not manage it',
    token: token({ buckets: ['new'], prefix: 'uploads/' }),
    request: { action: 'admin', bucket: 'new' },
    denied:
      'token "ci" may not create, delete or configure bucket "new": that needs the root token, or a token with write access, no prefix, and the bucket named in its bucket list',
  },
  {
    name: 'admin: naming another bucket does not help',
    token: token({ buckets: ['other'] }),
    request: { action: 'admin', bucket: 'new' },
    denied:
      'token "ci" may not create, delete or configure bucket "new": that needs the root token, or a token with write access, no prefix, and the bucket named in its bucket list',
  },
  // root
  { name: 'root may manage any bucket', token: root, request: { action: 'admin', bucket: 'anything' } },
  { name: 'root may write any key', token: root, request: { action: 'write', bucket: 'b', key: 'x' } },
  {
    name: 'root ignores scope fields even if a row carried them',
    token: { ...root, access: 'read', buckets: ['only'], prefix: 'p/' },
    request: { action: 'write', bucket: 'b', key: 'x' },
  },
];

describe('authorize', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = authorize(c.token, c.request);
      expect(result.step.name).toBe('authorize');
      expect(result.step.ok).toBe(c.denied === undefined);
      if (c.denied === undefined) {
        expect(result).toEqual({ ok: true, step: expect.objectContaining({ ok: true }) });
      } else {
        expect(result).toEqual({ ok: false, failure: { reason: 'ScopeDenied', elements: {} }, step: expect.objectContaining({ ok: false }) });
        expect(result.step.summary).toBe(c.denied);
      }
    });
  }

  it('the step describes the request and the token, never the secret', () => {
    const result = authorize(token({ buckets: ['b'], prefix: 'uploads/' }), { action: 'write', bucket: 'b', key: 'x/y' });
    expect(result.step.detail).toMatchObject({ action: 'write', bucket: 'b', key: 'x/y', name: 'ci', prefix: 'uploads/', buckets: 'b' });
    expect(JSON.stringify(result)).not.toContain('never-shown-secret');
  });

  it('an allowed request says what was granted', () => {
    expect(authorize(token(), { action: 'read', bucket: 'b', key: 'a.txt' }).step.summary).toBe('token "ci" may read "b/a.txt"');
    expect(authorize(root, { action: 'admin', bucket: 'b' }).step.summary).toBe('token "root" is the root token');
  });

  it('mayManageBucket is the admin rule alone (used to filter what a token may manage)', () => {
    expect(mayManageBucket(root, undefined)).toBe(true);
    expect(mayManageBucket(token({ buckets: ['b'] }), 'b')).toBe(true);
    expect(mayManageBucket(token({ buckets: ['b'] }), undefined)).toBe(false);
  });
});
