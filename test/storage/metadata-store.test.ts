import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Token } from '../../src/access/types.ts';
import { openMetadataStore } from '../../src/storage/metadata-store.ts';
import { MIGRATIONS, SchemaTooNewError, migrate, schemaVersion, type Migration } from '../../src/storage/migrations.ts';
import type { MetadataStore, ObjectRecord, UploadRecord } from '../../src/storage/types.ts';
import { useTempDirs } from './temp-dir.ts';

const tempDir = useTempDirs();
const NOW = new Date('2030-01-02T03:04:05.678Z');

async function openTemp(): Promise<{ dbPath: string; meta: MetadataStore }> {
  const dbPath = join(await tempDir(), 'signet.db');
  return { dbPath, meta: openMetadataStore(dbPath) };
}

function objectRecord(bucket: string, key: string, overrides: Partial<ObjectRecord> = {}): ObjectRecord {
  return {
    bucket,
    key,
    blobId: 'a'.repeat(32),
    size: 3,
    etag: '"900150983cd24fb0d6963f7d28e17f72"',
    lastModified: NOW.toISOString(),
    metadata: { userMetadata: {} },
    ...overrides,
  };
}

function token(overrides: Partial<Token> = {}): Token {
  return {
    accessKeyId: 'SGNTCI0000000001',
    secretAccessKey: 'ci-secret-value-1234',
    name: 'ci',
    access: 'read',
    buckets: [],
    prefix: null,
    expiresAt: null,
    revokedAt: null,
    createdAt: NOW.toISOString(),
    root: false,
    ...overrides,
  };
}

describe('migrations', () => {
  it('a new database is at the latest user_version, in WAL mode with foreign keys on', async () => {
    const { dbPath, meta } = await openTemp();
    meta.close();
    const db = new Database(dbPath, { readonly: true });
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('reopening applies nothing twice and keeps the data', async () => {
    const { dbPath, meta } = await openTemp();
    meta.createBucket('photos', NOW);
    meta.close();
    const again = openMetadataStore(dbPath);
    expect(again.getBucket('photos')?.createdAt).toBe(NOW.toISOString());
    again.close();
    const db = new Database(dbPath);
    expect(migrate(db)).toBe(MIGRATIONS.length);
    db.close();
  });

  it('applies only the migrations not yet applied, each recorded in user_version', () => {
    const db = new Database(':memory:');
    const applied: string[] = [];
    const steps: Migration[] = ['one', 'two', 'three'].map((name) => ({
      name,
      up: (d) => {
        applied.push(name);
        d.exec(`CREATE TABLE t_${name} (x)`);
      },
    }));
    expect(migrate(db, steps.slice(0, 2))).toBe(2);
    expect(migrate(db, steps)).toBe(3);
    expect(applied).toEqual(['one', 'two', 'three']);
    db.close();
  });

  it('a failing migration rolls back completely and leaves user_version where it was', () => {
    const db = new Database(':memory:');
    const steps: Migration[] = [
      { name: 'good', up: (d) => d.exec('CREATE TABLE good (x)') },
      { name: 'bad', up: (d) => d.exec('CREATE TABLE half (x); SELECT * FROM no_such_table') },
    ];
    expect(() => migrate(db, steps)).toThrow(/no_such_table/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    db.close();
  });

  it('a database from a newer signet is refused with SchemaTooNewError', () => {
    const db = new Database(':memory:');
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(SchemaTooNewError);
    db.close();
  });
});

describe('buckets', () => {
  it('create reports created, then exists; list is in name order', async () => {
    const { meta } = await openTemp();
    expect(meta.createBucket('zeta', NOW)).toBe('created');
    expect(meta.createBucket('alpha', NOW)).toBe('created');
    expect(meta.createBucket('zeta', new Date(0))).toBe('exists');
    expect(meta.listBuckets()).toEqual([
      { name: 'alpha', createdAt: NOW.toISOString(), cors: null },
      { name: 'zeta', createdAt: NOW.toISOString(), cors: null },
    ]);
    meta.close();
  });

  it('delete: missing, not-empty with an object, not-empty with an upload, deleted', async () => {
    const { meta } = await openTemp();
    expect(meta.deleteBucket('nope')).toBe('missing');
    meta.createBucket('b', NOW);
    meta.putObject(objectRecord('b', 'k'));
    expect(meta.deleteBucket('b')).toBe('not-empty');
    meta.deleteObject('b', 'k');
    meta.createUpload({ uploadId: 'u1', bucket: 'b', key: 'k', initiated: NOW.toISOString(), metadata: { userMetadata: {} } });
    expect(meta.deleteBucket('b')).toBe('not-empty');
    meta.deleteUpload('u1');
    expect(meta.deleteBucket('b')).toBe('deleted');
    expect(meta.getBucket('b')).toBeUndefined();
    meta.close();
  });

  it('CORS configuration is stored and cleared', async () => {
    const { meta } = await openTemp();
    meta.createBucket('b', NOW);
    meta.setBucketCors('b', '{"rules":[]}');
    expect(meta.getBucket('b')?.cors).toBe('{"rules":[]}');
    meta.setBucketCors('b', null);
    expect(meta.getBucket('b')?.cors).toBeNull();
    meta.close();
  });
});

describe('objects', () => {
  it('round-trips every field, including metadata, checksum and part sizes', async () => {
    const { meta } = await openTemp();
    meta.createBucket('b', NOW);
    const record = objectRecord('b', 'docs/report.pdf', {
      size: 15 * 1024 * 1024,
      etag: '"0123456789abcdef0123456789abcdef-3"',
      metadata: {
        contentType: 'application/pdf',
        cacheControl: 'no-cache',
        userMetadata: { owner: 'Zoë', 'x-empty': '' },
        checksum: { algorithm: 'CRC32', value: 'AAAAAA==', type: 'COMPOSITE' },
      },
      partSizes: [5 * 1024 * 1024, 5 * 1024 * 1024, 5 * 1024 * 1024],
    });
    meta.putObject(record);
    expect(meta.getObject('b', 'docs/report.pdf')).toEqual(record);
    expect(meta.getObject('b', 'docs/report.PDF')).toBeUndefined();
    meta.close();
  });

  it('replacing an object returns the old blob id; deleting returns the current one', async () => {
    const { meta } = await openTemp();
    meta.createBucket('b', NOW);
    expect(meta.putObject(objectRecord('b', 'k', { blobId: '1'.repeat(32) }))).toEqual({ replacedBlobId: undefined });
    expect(meta.putObject(objectRecord('b', 'k', { blobId: '2'.repeat(32) }))).toEqual({ replacedBlobId: '1'.repeat(32) });
    expect(meta.putObject(objectRecord('b', 'k', { blobId: '2'.repeat(32), size: 9 }))).toEqual({ replacedBlobId: undefined });
    expect(meta.deleteObject('b', 'k')).toEqual({ blobId: '2'.repeat(32) });
    expect(meta.deleteObject('b', 'k')).toEqual({ blobId: undefined });
    meta.close();
  });

  it('an object cannot be stored in a bucket that does not exist (or was deleted meanwhile): undefined, nothing stored', async () => {
    const { meta } = await openTemp();
    expect(meta.putObject(objectRecord('ghost', 'k'))).toBeUndefined();
    expect(meta.getObject('ghost', 'k')).toBeUndefined();
    meta.createBucket('b', NOW);
    meta.deleteBucket('b');
    expect(meta.transaction(() => meta.putObject(objectRecord('b', 'k')))).toBeUndefined();
    expect(meta.referencedBlobIds().size).toBe(0);
    meta.close();
  });

  it('hostile keys are stored, fetched and listed exactly as given', async () => {
    const { meta } = await openTemp();
    meta.createBucket('b', NOW);
    const keys = [
      '../../etc/passwd',
      'a//b',
      'a/./b',
      '%2e%2e/x',
      '..',
      '/leading',
      'trailing/',
      'caf\u00e9',
      'cafe\u0301',
      '\u{1f600}/\u{1f4a9}',
      'tab\there',
      'new\nline',
      'x'.repeat(1024),
      '\u00e9'.repeat(512),
    ];
    keys.forEach((k, i) => meta.putObject(objectRecord('b', k, { blobId: i.toString(16).padStart(32, '0') })));

    for (const [i, k] of keys.entries()) expect(meta.getObject('b', k)?.blobId).toBe(i.toString(16).padStart(32, '0'));
    const listed = meta.listObjects('b', { prefix: '', delimiter: '', after: '', maxKeys: 1000 }).objects.map((o) => o.key);
    expect(listed).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(listed).toContain('caf\u00e9');
    expect(listed).toContain('cafe\u0301');
    meta.close();
  });
});

describe('multipart uploads and parts', () => {
  const upload = (uploadId: string, key: string, initiated: string): UploadRecord => ({
    uploadId,
    bucket: 'b',
    key,
    initiated,
    metadata: { contentType: 'video/mp4', userMetadata: { a: '1' } },
  });

  it('parts replace by number, list in order, and go away with their upload', async () => {
    const { meta } = await openTemp();
    meta.createBucket('b', NOW);
    meta.createUpload({ ...upload('u1', 'movie.mp4', NOW.toISOString()), checksumAlgorithm: 'SHA256' });
    const part = (partNumber: number, blobId: string) => ({
      uploadId: 'u1',
      partNumber,
      blobId,
      size: 5,
      etag: '"e"',
      md5Hex: 'e'.repeat(32),
      lastModified: NOW.toISOString(),
    });
    expect(meta.putPart(part(2, '2'.repeat(32)))).toEqual({ replacedBlobId: undefined });
    expect(meta.putPart(part(1, '1'.repeat(32)))).toEqual({ replacedBlobId: undefined });
    expect(meta.putPart({ ...part(2, '3'.repeat(32)), checksum: { algorithm: 'SHA256', value: 'x', type: 'COMPOSITE' } })).toEqual({
      replacedBlobId: '2'.repeat(32),
    });

    expect(meta.getUpload('u1')).toEqual({ ...upload('u1', 'movie.mp4', NOW.toISOString()), checksumAlgorithm: 'SHA256' });
    expect(meta.listParts('u1').map((p) => [p.partNumber, p.blobId, p.checksum?.algorithm])).toEqual([
      [1, '1'.repeat(32), undefined],
      [2, '3'.repeat(32), 'SHA256'],
    ]);
    expect(meta.referencedBlobIds()).toEqual(new Set(['1'.repeat(32), '3'.repeat(32)]));

    expect(meta.deleteUpload('u1')).toEqual(['1'.repeat(32), '3'.repeat(32)]);
    expect(meta.getUpload('u1')).toBeUndefined();
    expect(meta.listParts('u1')).toEqual([]);
    meta.close();
  });

  it('a part cannot be added to an upload that does not exist (aborted meanwhile)', async () => {
    const { meta } = await openTemp();
    expect(() =>
      meta.putPart({ uploadId: 'gone', partNumber: 1, blobId: '1'.repeat(32), size: 1, etag: '"e"', md5Hex: 'e', lastModified: '' }),
    ).toThrow(/FOREIGN KEY/);
    meta.close();
  });

  it('listUploads: by key then initiation, prefix, delimiter, markers, truncation with next markers', async () => {
    const { meta } = await openTemp();
    meta.createBucket('b', NOW);
    meta.createUpload(upload('u-late', 'a.txt', '2030-01-02T00:00:00.000Z'));
    meta.createUpload(upload('u-early', 'a.txt', '2030-01-01T00:00:00.000Z'));
    meta.createUpload(upload('u3', 'dir/x', '2030-01-01T00:00:00.000Z'));
    meta.createUpload(upload('u4', 'dir/y', '2030-01-01T00:00:00.000Z'));
    meta.createUpload(upload('u5', 'z.txt', '2030-01-01T00:00:00.000Z'));
    const list = (q: Partial<Parameters<MetadataStore['listUploads']>[1]>) => {
      const page = meta.listUploads('b', { prefix: '', delimiter: '', keyMarker: '', uploadIdMarker: '', maxUploads: 1000, ...q });
      return { ...page, uploads: page.uploads.map((u) => u.uploadId) };
    };

    expect(list({})).toEqual({ uploads: ['u-early', 'u-late', 'u3', 'u4', 'u5'], commonPrefixes: [], isTruncated: false });
    expect(list({ delimiter: '/' })).toEqual({ uploads: ['u-early', 'u-late', 'u5'], commonPrefixes: ['dir/'], isTruncated: false });
    expect(list({ prefix: 'dir/' }).uploads).toEqual(['u3', 'u4']);
    expect(list({ keyMarker: 'a.txt' }).uploads).toEqual(['u3', 'u4', 'u5']);
    expect(list({ keyMarker: 'a.txt', uploadIdMarker: 'u-early' }).uploads).toEqual(['u-late', 'u3', 'u4', 'u5']);
    expect(list({ maxUploads: 1 })).toEqual({
      uploads: ['u-early'],
      commonPrefixes: [],
      isTruncated: true,
      nextKeyMarker: 'a.txt',
      nextUploadIdMarker: 'u-early',
    });
    expect(list({ delimiter: '/', maxUploads: 3 })).toEqual({
      uploads: ['u-early', 'u-late'],
      commonPrefixes: ['dir/'],
      isTruncated: true,
      nextKeyMarker: 'dir/',
    });
    expect(list({ delimiter: '/', keyMarker: 'dir/' })).toEqual({ uploads: ['u5'], commonPrefixes: [], isTruncated: false });
    expect(list({ maxUploads: 0 })).toEqual({ uploads: [], commonPrefixes: [], isTruncated: false });
    meta.close();
  });

  it('listUploads pages through every upload by following the next markers', async () => {
    const { meta } = await openTemp();
    meta.createBucket('b', NOW);
    const expected: string[] = [];
    for (const key of ['k1', 'k2', 'k3']) {
      for (let i = 0; i < 4; i++) {
        const uploadId = `${key}-u${i}`;
        meta.createUpload(upload(uploadId, key, `2030-01-01T00:00:0${i}.000Z`));
        expected.push(uploadId);
      }
    }
    const seen: string[] = [];
    let keyMarker = '';
    let uploadIdMarker = '';
    for (let pages = 0; pages < 20; pages++) {
      const page = meta.listUploads('b', { prefix: '', delimiter: '', keyMarker, uploadIdMarker, maxUploads: 5 });
      seen.push(...page.uploads.map((u) => u.uploadId));
      if (!page.isTruncated) break;
      keyMarker = page.nextKeyMarker!;
      uploadIdMarker = page.nextUploadIdMarker ?? '';
    }
    expect(seen).toEqual(expected);
    meta.close();
  });
});

describe('tokens', () => {
  it('round-trips a token; listTokens never carries the secret', async () => {
    const { meta } = await openTemp();
    const t = token({ access: 'read-write', buckets: ['photos', 'logs'], prefix: 'uploads/', expiresAt: '2031-01-01T00:00:00.000Z' });
    meta.insertToken(t);
    expect(meta.getToken(t.accessKeyId)).toEqual(t);
    expect(meta.getToken('SGNTUNKNOWN')).toBeUndefined();
    const listed = meta.listTokens();
    const { secretAccessKey: _omit, ...summary } = t;
    expect(listed).toEqual([summary]);
    expect(JSON.stringify(listed)).not.toContain(t.secretAccessKey);
    meta.close();
  });

  it('getTokenAndBucket answers what getToken and getBucket would, whichever of the two exists', async () => {
    const { meta } = await openTemp();
    const t = token({ buckets: ['photos'], prefix: 'a/', expiresAt: '2031-01-01T00:00:00.000Z' });
    meta.insertToken(t);
    meta.createBucket('photos', NOW);
    meta.setBucketCors('photos', '[{"AllowedOrigins":["*"]}]');
    for (const id of [t.accessKeyId, 'SGNTUNKNOWN']) {
      for (const bucket of ['photos', 'nope']) {
        expect(meta.getTokenAndBucket(id, bucket)).toEqual({ token: meta.getToken(id), bucket: meta.getBucket(bucket) });
      }
    }
    expect(meta.getTokenAndBucket(t.accessKeyId, 'photos').token).toEqual(t);
    expect(meta.getTokenAndBucket('SGNTUNKNOWN', 'photos').bucket).toEqual({ name: 'photos', createdAt: NOW.toISOString(), cors: '[{"AllowedOrigins":["*"]}]' });
    meta.close();
  });

  it('revoke marks the token once and reports unknown ids', async () => {
    const { meta } = await openTemp();
    meta.insertToken(token());
    expect(meta.revokeToken('SGNTCI0000000001', NOW)).toBe(true);
    expect(meta.revokeToken('SGNTCI0000000001', new Date('2040-01-01T00:00:00Z'))).toBe(true);
    expect(meta.getToken('SGNTCI0000000001')?.revokedAt).toBe(NOW.toISOString());
    expect(meta.revokeToken('SGNTNOPE', NOW)).toBe(false);
    meta.close();
  });

  it("a revoke through a second connection (the CLI's) is seen by the first on its next read", async () => {
    const { dbPath, meta: server } = await openTemp();
    server.insertToken(token());
    expect(server.getToken('SGNTCI0000000001')?.revokedAt).toBeNull();

    const cli = openMetadataStore(dbPath);
    expect(cli.revokeToken('SGNTCI0000000001', NOW)).toBe(true);
    cli.insertToken(token({ accessKeyId: 'SGNTNEW000000002', name: 'new' }));

    expect(server.getToken('SGNTCI0000000001')?.revokedAt).toBe(NOW.toISOString());
    expect(server.getTokenAndBucket('SGNTCI0000000001', 'b').token?.revokedAt).toBe(NOW.toISOString());
    expect(server.getToken('SGNTNEW000000002')?.name).toBe('new');
    cli.close();
    server.close();
  });

  it('upsertRootToken creates the root token, updates its secret, and retires an old root id', async () => {
    const { meta } = await openTemp();
    meta.upsertRootToken('signetadmin', 'first-secret', NOW);
    expect(meta.getToken('signetadmin')).toEqual({
      accessKeyId: 'signetadmin',
      secretAccessKey: 'first-secret',
      name: 'root',
      access: 'read-write',
      buckets: [],
      prefix: null,
      expiresAt: null,
      revokedAt: null,
      createdAt: NOW.toISOString(),
      root: true,
    });

    meta.upsertRootToken('signetadmin', 'second-secret', new Date('2031-01-01T00:00:00Z'));
    expect(meta.getToken('signetadmin')).toMatchObject({ secretAccessKey: 'second-secret', createdAt: NOW.toISOString() });

    meta.insertToken(token());
    meta.upsertRootToken('newadmin', 'third-secret', NOW);
    expect(meta.getToken('signetadmin')).toBeUndefined();
    expect(meta.getToken('newadmin')?.root).toBe(true);
    expect(meta.getToken('SGNTCI0000000001')?.root).toBe(false);
    meta.close();
  });

  it('upsertRootToken does not revive a revoked root token', async () => {
    const { meta } = await openTemp();
    meta.upsertRootToken('signetadmin', 'first-secret', NOW);
    meta.revokeToken('signetadmin', NOW);
    meta.upsertRootToken('signetadmin', 'first-secret', NOW);
    expect(meta.getToken('signetadmin')?.revokedAt).toBe(NOW.toISOString());
    meta.close();
  });
});

describe('settings and transactions', () => {
  it('the clock offset defaults to 0 and is shared with another connection', async () => {
    const { dbPath, meta } = await openTemp();
    expect(meta.getClockOffsetMs()).toBe(0);
    const cli = openMetadataStore(dbPath);
    cli.setClockOffsetMs(7_200_000);
    expect(meta.getClockOffsetMs()).toBe(7_200_000);
    cli.setClockOffsetMs(-5);
    expect(meta.getClockOffsetMs()).toBe(-5);
    expect(() => cli.setClockOffsetMs(Number.NaN)).toThrow(RangeError);
    cli.close();
    meta.close();
  });

  it('a transaction that throws leaves nothing behind', async () => {
    const { meta } = await openTemp();
    expect(() =>
      meta.transaction(() => {
        meta.createBucket('b', NOW);
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(meta.getBucket('b')).toBeUndefined();
    expect(meta.transaction(() => meta.createBucket('b', NOW))).toBe('created');
    meta.close();
  });
});
