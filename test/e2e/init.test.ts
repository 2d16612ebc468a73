/**
 * `signet serve --init FILE` (SIGNET_INIT): buckets, CORS and tokens with known keys exist
 * before the ready line; a second start changes nothing; a bad file stops the start with one
 * line naming the entry and exit status 1.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetBucketCorsCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyInitToDataDir, InitError } from '../../src/init/index.ts';
import { BUCKET_FIELDS, CORS_METHODS, CORS_RULE_FIELDS, TOKEN_FIELDS, TOP_LEVEL_FIELDS, checkInit, parseInitText } from '../../src/init/validate.ts';
import { makeTempDir, PROJECT_ROOT, REGION, ROOT_KEY, runCli, startSignet } from '../helpers/spawn-server.ts';

const INIT = {
  buckets: [
    {
      name: 'photos',
      cors: [{ allowedOrigins: ['http://localhost:5173'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['*'], exposeHeaders: ['ETag'], maxAgeSeconds: 600 }],
    },
    'backups',
  ],
  tokens: [
    { name: 'app', access: 'read-write', buckets: ['photos'], accessKeyId: 'APPKEY000001', secretAccessKey: 'app-secret-000001' },
    { name: 'reporting', access: 'read', accessKeyId: 'READKEY00001', secretAccessKey: 'read-secret-00001' },
    {
      name: 'backup-writer',
      access: 'write',
      buckets: ['backups'],
      prefix: 'nightly/',
      expiresIn: '30d',
      accessKeyId: 'BACKUPKEY001',
      secretAccessKey: 'backup-secret-001',
    },
  ],
};
const SECRETS = INIT.tokens.map((t) => t.secretAccessKey);

function client(url: string, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({ endpoint: url, region: REGION, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId, secretAccessKey } });
}

async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).name;
  }
  return 'succeeded';
}

describe('serve --init', () => {
  let dataDir: string;
  let work: string;
  let initPath: string;
  let firstState: { tokens: string; buckets: string };

  beforeAll(() => {
    dataDir = makeTempDir();
    work = makeTempDir('signet-init-');
    initPath = join(work, 'signet.json');
    writeFileSync(initPath, JSON.stringify(INIT, null, 2));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const state = () => ({
    tokens: runCli(['token', 'list', '--json', '--data-dir', dataDir]).stdout,
    buckets: runCli(['bucket', 'list', '--json', '--data-dir', dataDir]).stdout,
  });

  it('the tokens work as soon as the server is ready, with the given keys, each within its scope; the CORS rule answers', async () => {
    const s = await startSignet({ dataDir, args: ['--init', initPath] });
    try {
      const app = client(s.url, 'APPKEY000001', 'app-secret-000001');
      const reporting = client(s.url, 'READKEY00001', 'read-secret-00001');
      const backup = client(s.url, 'BACKUPKEY001', 'backup-secret-001');

      await app.send(new PutObjectCommand({ Bucket: 'photos', Key: 'cat.jpg', Body: 'meow' }));
      const got = await reporting.send(new GetObjectCommand({ Bucket: 'photos', Key: 'cat.jpg' }));
      expect(await got.Body!.transformToString()).toBe('meow');
      expect(await errorName(reporting.send(new PutObjectCommand({ Bucket: 'photos', Key: 'x', Body: 'x' })))).toBe('AccessDenied');
      expect(await errorName(app.send(new PutObjectCommand({ Bucket: 'backups', Key: 'x', Body: 'x' })))).toBe('AccessDenied');
      await backup.send(new PutObjectCommand({ Bucket: 'backups', Key: 'nightly/db.gz', Body: 'dump' }));
      expect(await errorName(backup.send(new PutObjectCommand({ Bucket: 'backups', Key: 'weekly/db.gz', Body: 'x' })))).toBe('AccessDenied');
      expect(await errorName(backup.send(new GetObjectCommand({ Bucket: 'backups', Key: 'nightly/db.gz' })))).toBe('AccessDenied');

      const buckets = await reporting.send(new ListBucketsCommand({}));
      expect(buckets.Buckets?.map((b) => b.Name).sort()).toEqual(['backups', 'photos']);

      const cors = await app.send(new GetBucketCorsCommand({ Bucket: 'photos' }));
      expect(cors.CORSRules).toEqual([
        { AllowedOrigins: ['http://localhost:5173'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 },
      ]);
      const preflight = (bucket: string) =>
        fetch(`${s.url}/${bucket}/cat.jpg`, {
          method: 'OPTIONS',
          headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
        });
      const ok = await preflight('photos');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(ok.headers.get('access-control-max-age')).toBe('600');
      expect((await preflight('backups')).status).toBe(403);

      const tokens = JSON.parse(runCli(['token', 'list', '--json', '--data-dir', dataDir]).stdout) as Array<{ name: string; expiresAt: string | null }>;
      const expiresAt = Date.parse(tokens.find((t) => t.name === 'backup-writer')!.expiresAt!);
      expect(Math.abs(expiresAt - (Date.now() + 30 * 86400_000))).toBeLessThan(120_000);

      const out = s.output();
      expect(out).toContain(`signet: init ${initPath}: bucket photos: created, CORS set`);
      expect(out).toContain(`signet: init ${initPath}: bucket backups: created`);
      expect(out).toContain(`signet: init ${initPath}: token "app" (APPKEY000001, read-write): created`);
      for (const secret of SECRETS) expect(out).not.toContain(secret);
      // the init lines come before the ready line: the tokens exist once it is printed
      expect(out.indexOf('signet: init')).toBeLessThan(out.indexOf('signet listening on'));
    } finally {
      expect(await s.stop()).toBe(0);
    }
    firstState = state();
  });

  it('a second start with the same file (through SIGNET_INIT) changes nothing', async () => {
    const s = await startSignet({ dataDir, env: { SIGNET_INIT: initPath } });
    try {
      const out = s.output();
      expect(out).toContain(`signet: init ${initPath}: bucket photos: exists, CORS unchanged`);
      expect(out).toContain(`signet: init ${initPath}: token "reporting" (READKEY00001, read): exists, unchanged`);
      expect(out).not.toMatch(/: created/);
      const got = await client(s.url, 'READKEY00001', 'read-secret-00001').send(new GetObjectCommand({ Bucket: 'photos', Key: 'cat.jpg' }));
      expect(await got.Body!.transformToString()).toBe('meow');
    } finally {
      await s.stop();
    }
    // same tokens (ids, scopes, creation and expiry times), same buckets (creation times)
    expect(state()).toEqual(firstState);
  });

  it('a token revoked between starts stays revoked', async () => {
    expect(runCli(['token', 'revoke', 'READKEY00001', '--data-dir', dataDir]).status).toBe(0);
    const s = await startSignet({ dataDir, args: ['--init', initPath] });
    try {
      expect(s.output()).toMatch(/token "reporting" \(READKEY00001, read\): was revoked at \S+ and stays revoked/);
      const r = client(s.url, 'READKEY00001', 'read-secret-00001');
      expect(await errorName(r.send(new ListBucketsCommand({})))).toBe('InvalidAccessKeyId');
    } finally {
      await s.stop();
    }
  });

  it('a file that changes an existing token\'s secret or scope is refused, and nothing is applied', () => {
    const before = state();
    const changed = {
      buckets: [...INIT.buckets, 'newbucket'],
      tokens: INIT.tokens.map((t) => (t.name === 'app' ? { ...t, secretAccessKey: 'another-secret-1', access: 'read' } : t)),
    };
    const path = join(work, 'changed.json');
    writeFileSync(path, JSON.stringify(changed));
    const r = runCli(['serve', '--port', '0', '--data-dir', dataDir, '--init', path]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      'tokens[0] ("app"): a token with access key id APPKEY000001 already exists in the data directory with a different secretAccessKey, access',
    );
    expect(r.stderr).not.toContain('another-secret-1');
    expect(state()).toEqual(before);
  });
});

describe('a malformed init file: the message names the bad entry', () => {
  const cases: Array<[string, string, RegExp | string]> = [
    ['not JSON (a missing comma)', '{\n  "buckets": ["a-bucket"]\n  "tokens": []\n}', /bad\.json is not valid JSON: .*line 3/],
    ['not an object', '["photos"]', 'bad.json: must be a JSON object with "buckets" and/or "tokens"'],
    ['an unknown top-level field', '{"bucket": ["photos"]}', 'bad.json: unknown field "bucket" (known: $schema, buckets, tokens)'],
    ['an invalid bucket name', '{"buckets": ["photos", "Bad_Bucket"]}', 'bad.json: buckets[1] ("Bad_Bucket"): invalid bucket name: a bucket name may contain only lower-case letters'],
    ['a bucket listed twice', '{"buckets": ["photos", {"name": "photos"}]}', 'bad.json: buckets[1] ("photos"): the bucket is already listed as buckets[0] ("photos")'],
    [
      'a CORS method S3 does not know',
      '{"buckets": [{"name": "site", "cors": [{"allowedOrigins": ["*"], "allowedMethods": ["GET", "PATCH"]}]}]}',
      'bad.json: buckets[0] ("site"): cors[0].allowedMethods: "PATCH" is not one of GET, PUT, POST, DELETE, HEAD',
    ],
    [
      'an origin with two wildcards',
      '{"buckets": [{"name": "site", "corsOrigins": ["http://*.*.example.com"]}]}',
      'bad.json: buckets[0] ("site"): corsOrigins[0]: "http://*.*.example.com" has more than one "*" wildcard',
    ],
    [
      'the third token with an access that does not exist',
      '{"tokens": [{"name": "a", "access": "read"}, {"name": "b", "access": "write"}, {"name": "deploy", "access": "admin"}]}',
      'bad.json: tokens[2] ("deploy"): access must be one of read, write, read-write (got "admin")',
    ],
    ['a misspelt token field', '{"tokens": [{"name": "ci", "acess": "read"}]}', 'bad.json: tokens[0] ("ci"): unknown field "acess"'],
    [
      'an access key id without its secret',
      '{"tokens": [{"name": "ci", "access": "read", "accessKeyId": "CIKEY0001"}]}',
      'bad.json: tokens[0] ("ci"): accessKeyId and secretAccessKey must be given together',
    ],
    [
      'a secret too short',
      '{"tokens": [{"name": "ci", "access": "read", "accessKeyId": "CIKEY0001", "secretAccessKey": "short"}]}',
      'bad.json: tokens[0] ("ci"): secretAccessKey must be 8 to 256 printable ASCII characters',
    ],
    ['a duration that is not one', '{"tokens": [{"name": "ci", "access": "read", "expiresIn": "a week"}]}', 'bad.json: tokens[0] ("ci"): expiresIn: "a week" is not a duration'],
    [
      'two tokens with one name',
      '{"tokens": [{"name": "ci", "access": "read"}, {"name": "ci", "access": "write"}]}',
      'bad.json: tokens[1] ("ci"): the name is already used by tokens[0] ("ci")',
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    let message = '';
    try {
      parseInitText(text, 'bad.json');
    } catch (err) {
      expect(err).toBeInstanceOf(InitError);
      message = (err as Error).message;
    }
    if (typeof expected === 'string') expect(message).toContain(expected);
    else expect(message).toMatch(expected);
    expect(message).not.toContain('\n');
  });

  it("the root's access key id is refused when applied (the file alone cannot know it)", () => {
    const dataDir = makeTempDir();
    try {
      const init = parseInitText(`{"tokens": [{"name": "ci", "access": "read", "accessKeyId": "${ROOT_KEY}", "secretAccessKey": "some-secret-1"}]}`, 'f.json');
      expect(() => applyInitToDataDir(dataDir, init, { rootAccessKeyId: ROOT_KEY, clockControl: false })).toThrow(
        `tokens[0] ("ci"): accessKeyId ${ROOT_KEY} is the root access key id`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('serve --init with a malformed file: exit 1, one line on stderr, nothing started or written', () => {
  const work = makeTempDir('signet-init-bad-');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const serveWith = (text: string | undefined) => {
    const dataDir = makeTempDir();
    const path = join(work, text === undefined ? 'absent.json' : 'bad.json');
    if (text !== undefined) writeFileSync(path, text);
    const r = runCli(['serve', '--port', '0', '--data-dir', dataDir, '--init', path]);
    const wrote = existsSync(join(dataDir, 'signet.db'));
    rmSync(dataDir, { recursive: true, force: true });
    return { ...r, path, wrote };
  };

  it.each([
    ['not JSON', '{\n  "buckets": ["a-bucket"]\n  "tokens": []\n}', /^signet: \S+bad\.json is not valid JSON: .*line 3/],
    [
      'the third token with an access that does not exist',
      '{"buckets": ["photos"], "tokens": [{"name": "a", "access": "read"}, {"name": "b", "access": "write"}, {"name": "deploy", "access": "admin"}]}',
      /^signet: \S+bad\.json: tokens\[2\] \("deploy"\): access must be one of read, write, read-write \(got "admin"\)$/,
    ],
    ['a missing file', undefined, /^signet: cannot read the init file \S+absent\.json \(ENOENT\): give the path of a JSON file \(--init \/ SIGNET_INIT\)$/],
  ])('%s', (_name, text, expected) => {
    const r = serveWith(text);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(expected);
    expect(r.stdout).not.toContain('signet listening');
    expect(r.wrote).toBe(false);
  });
});

describe('the init file JSON schema shipped in the package', () => {
  const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'src/init/signet-init.schema.json'), 'utf8'));
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));

  it('is exported by package.json as signet-s3/signet-init.schema.json', () => {
    expect(pkg.exports['./signet-init.schema.json']).toBe('./src/init/signet-init.schema.json');
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('names exactly the fields the validator accepts, with the same required fields and enums', () => {
    const keys = (o: { properties: object }) => Object.keys(o.properties).sort();
    expect(keys(schema)).toEqual([...TOP_LEVEL_FIELDS].sort());
    expect(keys(schema.$defs.bucket)).toEqual([...BUCKET_FIELDS].sort());
    expect(keys(schema.$defs.corsRule)).toEqual([...CORS_RULE_FIELDS].sort());
    expect(keys(schema.$defs.token)).toEqual([...TOKEN_FIELDS].sort());
    expect(schema.$defs.token.required).toEqual(['name', 'access']);
    expect(schema.$defs.bucket.required).toEqual(['name']);
    expect(schema.$defs.corsRule.required).toEqual(['allowedOrigins', 'allowedMethods']);
    expect(schema.$defs.token.properties.access.enum).toEqual(['read', 'write', 'read-write']);
    expect(schema.$defs.corsRule.properties.allowedMethods.items.enum).toEqual([...CORS_METHODS]);
    for (const def of [schema, schema.$defs.bucket, schema.$defs.corsRule, schema.$defs.token]) expect(def.additionalProperties).toBe(false);
  });

  it("its patterns agree with the validator's on names, origins, key ids, secrets and durations", () => {
    const re = (p: string) => new RegExp(p);
    const bucket = re(schema.$defs.bucketName.pattern);
    const origin = re(schema.$defs.origin.pattern);
    const keyId = re(schema.$defs.token.properties.accessKeyId.pattern);
    const secret = re(schema.$defs.token.properties.secretAccessKey.pattern);
    const duration = re(schema.$defs.token.properties.expiresIn.oneOf[1].pattern);
    const accepts = (doc: unknown) => {
      try {
        checkInit(doc, 't');
        return true;
      } catch {
        return false;
      }
    };
    for (const name of ['photos', 'a.b-c', 'Photos', '-ab', 'ab-']) expect(bucket.test(name)).toBe(accepts({ buckets: [name] }));
    for (const o of ['http://localhost:5173', 'https://*.example.com', 'http://*.*.x']) {
      expect(origin.test(o)).toBe(accepts({ buckets: [{ name: 'site', corsOrigins: [o] }] }));
    }
    const token = (extra: object) => accepts({ tokens: [{ name: 't', access: 'read', ...extra }] });
    for (const id of ['CIKEY0001', 'ab', 'has/slash', 'ok.id_1-2']) {
      expect(keyId.test(id)).toBe(token({ accessKeyId: id, secretAccessKey: 'long-enough-1' }));
    }
    for (const sec of ['long-enough-1', 'short', 'has space in it', 'a+b/c=d+e/f']) {
      expect(secret.test(sec)).toBe(token({ accessKeyId: 'CIKEY0001', secretAccessKey: sec }));
    }
    for (const d of ['1h', '7d', '1h30m', 'soon', '1 h']) expect(duration.test(d)).toBe(token({ expiresIn: d }));
  });
});
