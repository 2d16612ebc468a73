/**
 * Forms produced by the real client libraries must pass verifyPostForm + evaluatePolicy:
 * @aws-sdk/s3-presigned-post (JS v3) and boto3's generate_presigned_post (reference §5.8).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost as createPresignedPostJsV3 } from '@aws-sdk/s3-presigned-post';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentLengthRange } from '../../../src/policy/evaluate-policy.ts';
import { verifyPostForm } from '../../../src/policy/verify-post.ts';
import { makeContext, makeToken } from './fixtures.ts';

const TOKEN = makeToken({ accessKeyId: 'SIGNETTESTKEY', secretAccessKey: 'signet-test-secret/with+chars' });
const BUCKET = 'uploads-bucket';

/** The HTTP layer's view of a form: names lower-cased. */
function asForm(fields: Record<string, string>, extra: Record<string, string> = {}): Map<string, string> {
  return new Map(Object.entries({ ...fields, ...extra }).map(([name, value]) => [name.toLowerCase(), value]));
}

/** 20260301T100000Z -> Date */
function parseAmzDate(amzDate: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) throw new Error(`not an x-amz-date: ${amzDate}`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
}

describe('@aws-sdk/s3-presigned-post createPresignedPost', () => {
  async function presign(expires = 600) {
    // systemClockOffset pins the SDK's clock near a fixed instant; the exact second it signed
    // is read back from X-Amz-Date.
    const target = Date.parse('2026-03-01T10:00:00Z');
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: TOKEN.accessKeyId, secretAccessKey: TOKEN.secretAccessKey },
      systemClockOffset: target - Date.now(),
    });
    return createPresignedPostJsV3(client, {
      Bucket: BUCKET,
      Key: 'photos/${filename}',
      Conditions: [['starts-with', '$Content-Type', 'image/'], ['content-length-range', 1, 1048576]],
      Fields: { acl: 'private', 'x-amz-meta-owner': 'alice' },
      Expires: expires,
    });
  }

  it('its SigV4 form (capitalised X-Amz-*, Policy, a bucket field) is accepted', async () => {
    const { fields } = await presign();
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['bucket', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'key', 'Policy', 'X-Amz-Signature']));
    const now = parseAmzDate(fields['X-Amz-Date']);
    expect(now.toISOString().slice(0, 10)).toBe('2026-03-01');
    const result = verifyPostForm(asForm(fields, { 'Content-Type': 'image/png' }), makeContext({ now, bucket: BUCKET, filename: 'cat.png' }, [TOKEN]));
    expect(result).toMatchObject({ ok: true, kind: 'post-sigv4', accessKeyId: TOKEN.accessKeyId, key: 'photos/cat.png' });
    if (result.ok) expect(contentLengthRange(result.policy)).toEqual({ min: 1, max: 1048576 });
  });

  it('its form is refused once Expires has passed', async () => {
    const { fields } = await presign(60);
    const now = new Date(parseAmzDate(fields['X-Amz-Date']).getTime() + 61_000);
    const result = verifyPostForm(asForm(fields, { 'Content-Type': 'image/png' }), makeContext({ now, bucket: BUCKET }, [TOKEN]));
    expect(!result.ok && result.failure.reason).toBe('PolicyExpired');
  });

  it('its form is refused with a Content-Type outside image/', async () => {
    const { fields } = await presign();
    const now = parseAmzDate(fields['X-Amz-Date']);
    const result = verifyPostForm(asForm(fields, { 'Content-Type': 'text/html' }), makeContext({ now, bucket: BUCKET }, [TOKEN]));
    expect(!result.ok && result.failure.message).toBe('Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]');
  });

  it('its form posted to another bucket is refused', async () => {
    const { fields } = await presign();
    const now = parseAmzDate(fields['X-Amz-Date']);
    const result = verifyPostForm(asForm(fields, { 'Content-Type': 'image/png' }), makeContext({ now, bucket: 'other-bucket' }, [TOKEN]));
    expect(!result.ok && result.failure.message).toBe(`Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "${BUCKET}"]`);
  });
});

/** boto3 is a Python package on the developer's machine, not a project dependency. */
const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0;

type Boto3Config = 's3v4' | 's3' | 'default';
type PresignedPostOutput = { url: string; fields: Record<string, string> };

/**
 * Runs boto3's generate_presigned_post once per configuration, in one python3 process (boto3
 * takes seconds to import), with the clock pinned to 2026-03-01T10:00:00Z: botocore reads it
 * through get_current_datetime in both signers.py and auth.py.
 */
function boto3PresignedPosts(): Record<Boto3Config, PresignedPostOutput> {
  const script = `
import datetime, json, sys
import boto3, botocore.auth, botocore.signers
from botocore.config import Config
fixed = datetime.datetime(2026, 3, 1, 10, 0, 0)
botocore.auth.get_current_datetime = lambda remove_tzinfo=True: fixed
botocore.signers.get_current_datetime = lambda remove_tzinfo=True: fixed
args = json.loads(sys.argv[1])
out = {}
for config in ['s3v4', 's3', 'default']:
    kwargs = dict(region_name='us-east-1', endpoint_url='http://127.0.0.1:9000',
                  aws_access_key_id=args['id'], aws_secret_access_key=args['secret'])
    if config != 'default':
        kwargs['config'] = Config(signature_version=config)
    client = boto3.client('s3', **kwargs)
    out[config] = client.generate_presigned_post(
        args['bucket'], 'docs/\${filename}',
        Fields={'acl': 'private', 'success_action_status': '201'},
        Conditions=[{'acl': 'private'}, {'success_action_status': '201'}, ['content-length-range', 0, 4096]],
        ExpiresIn=600)
print(json.dumps(out))
`;
  const args = JSON.stringify({ id: TOKEN.accessKeyId, secret: TOKEN.secretAccessKey, bucket: BUCKET });
  const env = { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
  return JSON.parse(execFileSync('python3', ['-c', script, args], { encoding: 'utf8', env }));
}

const BOTO3_NOW = new Date('2026-03-01T10:00:00Z');

describe.skipIf(!hasBoto3)('boto3 generate_presigned_post (skipped when python3 cannot import boto3)', () => {
  let posts: Record<Boto3Config, PresignedPostOutput>;
  beforeAll(() => {
    posts = boto3PresignedPosts();
  }, 60_000);

  it("SigV4 (signature_version='s3v4'): lower-case x-amz-* fields, accepted", () => {
    const { url, fields } = posts.s3v4;
    expect(url).toBe(`http://127.0.0.1:9000/${BUCKET}`);
    expect(fields['x-amz-date']).toBe('20260301T100000Z');
    const result = verifyPostForm(asForm(fields), makeContext({ now: BOTO3_NOW, bucket: BUCKET, filename: 'report.pdf' }, [TOKEN]));
    expect(result).toMatchObject({ ok: true, kind: 'post-sigv4', key: 'docs/report.pdf' });
  });

  it("SigV2 (signature_version='s3'): AWSAccessKeyId + signature, accepted", () => {
    const { fields } = posts.s3;
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['AWSAccessKeyId', 'policy', 'signature']));
    const result = verifyPostForm(asForm(fields), makeContext({ now: BOTO3_NOW, bucket: BUCKET, filename: 'report.pdf' }, [TOKEN]));
    expect(result).toMatchObject({ ok: true, kind: 'post-sigv2', key: 'docs/report.pdf' });
  });

  it('the default configuration with endpoint_url, accepted', () => {
    const { fields } = posts.default;
    const result = verifyPostForm(asForm(fields), makeContext({ now: BOTO3_NOW, bucket: BUCKET, filename: 'report.pdf' }, [TOKEN]));
    expect(result).toMatchObject({ ok: true, key: 'docs/report.pdf' });
  });

  it('a boto3 form refused after its 600 s', () => {
    const { fields } = posts.s3v4;
    const result = verifyPostForm(asForm(fields), makeContext({ now: new Date('2026-03-01T10:10:01Z'), bucket: BUCKET }, [TOKEN]));
    expect(!result.ok && result.failure.reason).toBe('PolicyExpired');
  });

  it('a boto3 SigV2 form with a changed success_action_status is refused', () => {
    const { fields } = posts.s3;
    const result = verifyPostForm(asForm(fields, { success_action_status: '200' }), makeContext({ now: BOTO3_NOW, bucket: BUCKET }, [TOKEN]));
    expect(!result.ok && result.failure.message).toBe('Invalid according to Policy: Policy Condition failed: ["eq", "$success_action_status", "201"]');
  });
});
