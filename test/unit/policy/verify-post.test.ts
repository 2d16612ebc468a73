import { describe, expect, it } from 'vitest';
import { calculatePolicySignatureV2, calculatePolicySignatureV4 } from '../../../src/policy/policy-signature.ts';
import { createPresignedPost } from '../../../src/policy/presigned-post.ts';
import { verifyPostForm } from '../../../src/policy/verify-post.ts';
import {
  base64,
  EXAMPLE_ACCESS_KEY_ID,
  EXAMPLE_BUCKET,
  EXAMPLE_CREDENTIAL,
  EXAMPLE_POLICY,
  EXAMPLE_SECRET,
  EXAMPLE_SIGNATURE,
  exampleForm,
  makeContext,
  makeToken,
} from './fixtures.ts';

function withField(name: string, value: string | undefined): Map<string, string> {
  const form = exampleForm();
  if (value === undefined) form.delete(name);
  else form.set(name, value);
  return form;
}

function conditionFailed(rendered: string) {
  return { reason: 'PolicyConditionFailed', message: `Invalid according to Policy: Policy Condition failed: ${rendered}`, elements: {} };
}

function missingField(name: string) {
  return {
    reason: 'PostFieldMissing',
    message: `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
    elements: { ArgumentName: name, ArgumentValue: '' },
  };
}

describe('the AWS documentation example (reference §7.4)', () => {
  it('the policy signature is 8afdbf40… byte for byte', () => {
    expect(calculatePolicySignatureV4(EXAMPLE_SECRET, '20151229', 'us-east-1', EXAMPLE_POLICY)).toBe(EXAMPLE_SIGNATURE);
  });

  it('its form is accepted before the expiration, with every step in order', () => {
    const result = verifyPostForm(exampleForm(), makeContext());
    expect(result.ok).toBe(true);
    expect(result.steps.map((s) => [s.name, s.ok])).toEqual([
      ['detect', true],
      ['parse', true],
      ['token', true],
      ['signature', true],
      ['policy', true],
      ['policy', true],
    ]);
    if (!result.ok) return;
    expect(result.kind).toBe('post-sigv4');
    expect(result.accessKeyId).toBe(EXAMPLE_ACCESS_KEY_ID);
    expect(result.key).toBe('user/user1/photo.jpg');
    expect(result.policy.conditions).toHaveLength(11);
  });

  it('field names in any case are accepted (the page sends X-Amz-Credential, Policy, Content-Type)', () => {
    const form = new Map([...exampleForm()].map(([name, value]) => [name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), value]));
    expect(form.has('X-Amz-Credential')).toBe(true);
    expect(verifyPostForm(form, makeContext()).ok).toBe(true);
  });

  it('${filename} from a Windows path keeps the last segment', () => {
    const result = verifyPostForm(exampleForm(), makeContext({ filename: 'C:\\photos\\cat.jpg' }));
    expect(result.ok && result.key).toBe('user/user1/cat.jpg');
  });

  it('the signature step shows the string to sign and both signatures', () => {
    const signature = verifyPostForm(exampleForm(), makeContext()).steps.find((s) => s.name === 'signature');
    expect(signature?.detail).toEqual({ stringToSign: EXAMPLE_POLICY, signatureProvided: EXAMPLE_SIGNATURE, signatureExpected: EXAMPLE_SIGNATURE });
  });

  it('no step shows the secret', () => {
    const result = verifyPostForm(exampleForm(), makeContext());
    expect(JSON.stringify(result.steps)).not.toContain(EXAMPLE_SECRET);
  });
});

describe('the AWS example, one field tampered', () => {
  // "eyAi" as S3 prints StringToSignBytes.
  const policyBytes = '65 79 41 69';

  it.each([
    ['key outside user/user1/', 'key', 'user/user2/${filename}', conditionFailed('["starts-with", "$key", "user/user1/"]')],
    ['acl', 'acl', 'private', conditionFailed('["eq", "$acl", "public-read"]')],
    [
      'success_action_redirect',
      'success_action_redirect',
      'http://evil.test/',
      conditionFailed('["eq", "$success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"]'),
    ],
    ['Content-Type outside image/', 'content-type', 'text/html', conditionFailed('["starts-with", "$Content-Type", "image/"]')],
    ['x-amz-meta-uuid', 'x-amz-meta-uuid', '1', conditionFailed('["eq", "$x-amz-meta-uuid", "14365123651274"]')],
    ['x-amz-server-side-encryption', 'x-amz-server-side-encryption', 'aws:kms', conditionFailed('["eq", "$x-amz-server-side-encryption", "AES256"]')],
    ['x-amz-date (same day)', 'x-amz-date', '20151229T010203Z', conditionFailed('["eq", "$x-amz-date", "20151229T000000Z"]')],
    ['x-amz-algorithm', 'x-amz-algorithm', 'AWS4-HMAC-SHA512', { reason: 'QueryAlgorithmUnsupported', elements: {} }],
    [
      'x-amz-credential region',
      'x-amz-credential',
      'AKIAIOSFODNN7EXAMPLE/20151229/us-west-2/s3/aws4_request',
      {
        reason: 'PostRegionWrong',
        message: "the region 'us-west-2' is wrong; expecting 'us-east-1'",
        elements: { ArgumentName: 'X-Amz-Credential', ArgumentValue: 'AKIAIOSFODNN7EXAMPLE/20151229/us-west-2/s3/aws4_request', Region: 'us-east-1' },
      },
    ],
    [
      'x-amz-credential access key',
      'x-amz-credential',
      'AKIAOTHER0000EXAMPLE/20151229/us-east-1/s3/aws4_request',
      { reason: 'AccessKeyUnknown', elements: { AWSAccessKeyId: 'AKIAOTHER0000EXAMPLE' } },
    ],
    [
      'policy (one character changed)',
      'policy',
      `eyAiY${EXAMPLE_POLICY.slice(5)}`,
      {
        reason: 'SignatureDoesNotMatch',
        elements: {
          AWSAccessKeyId: EXAMPLE_ACCESS_KEY_ID,
          StringToSign: `eyAiY${EXAMPLE_POLICY.slice(5)}`,
          SignatureProvided: EXAMPLE_SIGNATURE,
          StringToSignBytes: expect.stringMatching(new RegExp(`^${policyBytes} 59 `)),
        },
      },
    ],
    [
      'policy truncated: a signature error, not a policy error',
      'policy',
      EXAMPLE_POLICY.slice(0, 100),
      expect.objectContaining({ reason: 'SignatureDoesNotMatch', elements: expect.objectContaining({ StringToSign: EXAMPLE_POLICY.slice(0, 100) }) }),
    ],
    [
      'x-amz-signature',
      'x-amz-signature',
      EXAMPLE_SIGNATURE.replace(/^8/, '9'),
      expect.objectContaining({ reason: 'SignatureDoesNotMatch', elements: expect.objectContaining({ SignatureProvided: EXAMPLE_SIGNATURE.replace(/^8/, '9') }) }),
    ],
    [
      'x-amz-signature in upper-case hex',
      'x-amz-signature',
      EXAMPLE_SIGNATURE.toUpperCase(),
      expect.objectContaining({ reason: 'SignatureDoesNotMatch' }),
    ],
  ])('%s -> refused', (_name, field, value, failure) => {
    const result = verifyPostForm(withField(field, value), makeContext());
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure).toEqual(failure);
  });

  it('x-amz-meta-tag may be anything (starts-with "")', () => {
    expect(verifyPostForm(withField('x-amz-meta-tag', 'whatever'), makeContext()).ok).toBe(true);
  });

  it('an extra field -> Extra input fields', () => {
    const result = verifyPostForm(withField('x-amz-meta-extra', '1'), makeContext());
    expect(!result.ok && result.failure).toEqual({
      reason: 'PolicyExtraInputFields',
      message: 'Invalid according to Policy: Extra input fields: x-amz-meta-extra',
      elements: {},
    });
  });

  it('an x-ignore-* field -> still accepted', () => {
    expect(verifyPostForm(withField('x-ignore-submit', 'Upload'), makeContext()).ok).toBe(true);
  });

  it('posted to another bucket -> the bucket condition fails', () => {
    const result = verifyPostForm(exampleForm(), makeContext({ bucket: 'otherbucket' }));
    expect(!result.ok && result.failure).toEqual(conditionFailed('["eq", "$bucket", "sigv4examplebucket"]'));
  });

  it('a server in another region -> PostRegionWrong naming the server region', () => {
    const result = verifyPostForm(exampleForm(), makeContext({ region: 'eu-west-1' }));
    expect(!result.ok && result.failure).toEqual({
      reason: 'PostRegionWrong',
      message: "the region 'us-east-1' is wrong; expecting 'eu-west-1'",
      elements: { ArgumentName: 'X-Amz-Credential', ArgumentValue: EXAMPLE_CREDENTIAL, Region: 'eu-west-1' },
    });
  });

  it('a clock past 2015-12-30T12:00:00Z -> Policy expired', () => {
    const result = verifyPostForm(exampleForm(), makeContext({ now: new Date('2015-12-30T12:00:01Z') }));
    expect(!result.ok && result.failure).toEqual({ reason: 'PolicyExpired', elements: {} });
    expect(result.steps.at(-1)).toMatchObject({ name: 'policy', ok: false, summary: 'Invalid according to Policy: Policy expired.' });
  });

  it('a revoked token -> TokenRevoked (InvalidAccessKeyId)', () => {
    const result = verifyPostForm(exampleForm(), makeContext({}, [makeToken({ revokedAt: '2015-12-01T00:00:00Z' })]));
    expect(!result.ok && result.failure).toEqual({ reason: 'TokenRevoked', elements: { AWSAccessKeyId: EXAMPLE_ACCESS_KEY_ID } });
  });

  it('an expired token -> TokenExpired (InvalidAccessKeyId)', () => {
    const result = verifyPostForm(exampleForm(), makeContext({}, [makeToken({ expiresAt: '2015-12-29T11:00:00Z' })]));
    expect(!result.ok && result.failure).toEqual({ reason: 'TokenExpired', elements: { AWSAccessKeyId: EXAMPLE_ACCESS_KEY_ID } });
  });

  it('a token with another secret -> SignatureDoesNotMatch', () => {
    const result = verifyPostForm(exampleForm(), makeContext({}, [makeToken({ secretAccessKey: 'another-secret' })]));
    expect(!result.ok && result.failure.reason).toBe('SignatureDoesNotMatch');
  });
});

describe('detecting the mechanism and its fields (reference §5.2)', () => {
  it('only key and policy -> AnonymousAccessDenied', () => {
    const result = verifyPostForm(new Map([['key', 'a'], ['policy', EXAMPLE_POLICY]]), makeContext());
    expect(result).toMatchObject({ ok: false, kind: 'anonymous', failure: { reason: 'AnonymousAccessDenied', elements: {} } });
  });

  it('auth fields present but empty count as absent -> AnonymousAccessDenied', () => {
    const form = new Map([['key', 'a'], ['x-amz-algorithm', ''], ['x-amz-signature', ''], ['policy', '']]);
    expect(verifyPostForm(form, makeContext())).toMatchObject({ ok: false, failure: { reason: 'AnonymousAccessDenied' } });
  });

  it.each([
    ['algorithm and credential missing -> X-Amz-Algorithm is named', ['x-amz-algorithm', 'x-amz-credential'], 'X-Amz-Algorithm'],
    ['credential missing', ['x-amz-credential'], 'X-Amz-Credential'],
    ['date missing', ['x-amz-date'], 'X-Amz-Date'],
    ['signature missing', ['x-amz-signature'], 'X-Amz-Signature'],
    ['policy missing', ['policy'], 'Policy'],
    ['key missing', ['key'], 'key'],
    ['key missing, as well as every auth field', ['key', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature'], 'key'],
  ])('SigV4 %s', (_name, removed, named) => {
    const form = exampleForm();
    for (const name of removed) form.delete(name);
    const result = verifyPostForm(form, makeContext());
    expect(!result.ok && result.failure).toEqual(missingField(named));
    expect(result.steps).toEqual([expect.objectContaining({ name: 'detect', ok: false })]);
  });

  it('an empty x-amz-signature counts as missing', () => {
    const result = verifyPostForm(withField('x-amz-signature', ''), makeContext());
    expect(!result.ok && result.failure).toEqual(missingField('X-Amz-Signature'));
  });

  it.each([
    ['signature missing', 'signature', 'Signature'],
    ['AWSAccessKeyId missing', 'awsaccesskeyid', 'AWSAccessKeyId'],
    ['policy missing', 'policy', 'Policy'],
  ])('SigV2 %s', (_name, removed, named) => {
    const form = new Map([['key', 'a'], ['awsaccesskeyid', EXAMPLE_ACCESS_KEY_ID], ['policy', EXAMPLE_POLICY], ['signature', 'x']]);
    form.delete(removed);
    const result = verifyPostForm(form, makeContext());
    expect(result).toMatchObject({ ok: false, kind: 'post-sigv2', failure: missingField(named) });
  });

  it('SigV4 and SigV2 fields together -> SigV4', () => {
    const form = withField('awsaccesskeyid', EXAMPLE_ACCESS_KEY_ID);
    form.set('signature', 'x');
    expect(verifyPostForm(form, makeContext())).toMatchObject({ ok: true, kind: 'post-sigv4' });
  });
});

describe('SigV4 credential and date checks', () => {
  function credentialFailure(credential: string, message: string) {
    return { reason: 'InvalidArgument', message, elements: { ArgumentName: 'X-Amz-Credential', ArgumentValue: credential } };
  }

  it.each([
    [
      'too few parts',
      'malformed-no-slashes',
      credentialFailure('malformed-no-slashes', 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'),
    ],
    [
      'an empty access key id',
      '/20151229/us-east-1/s3/aws4_request',
      credentialFailure('/20151229/us-east-1/s3/aws4_request', 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'),
    ],
    [
      'a date that is not yyyyMMdd',
      'AKIAIOSFODNN7EXAMPLE/2015-12-29/us-east-1/s3/aws4_request',
      credentialFailure(
        'AKIAIOSFODNN7EXAMPLE/2015-12-29/us-east-1/s3/aws4_request',
        'incorrect date format "2015-12-29". This date in the credential must be in the format "yyyyMMdd".',
      ),
    ],
    [
      'a date other than x-amz-date\'s',
      'AKIAIOSFODNN7EXAMPLE/20151228/us-east-1/s3/aws4_request',
      credentialFailure('AKIAIOSFODNN7EXAMPLE/20151228/us-east-1/s3/aws4_request', 'Invalid credential date. Date is not the same as X-Amz-Date.'),
    ],
    [
      'another service',
      'AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/ec2/aws4_request',
      credentialFailure('AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/ec2/aws4_request', 'incorrect service "ec2". This endpoint belongs to "s3".'),
    ],
    [
      'another terminator',
      'AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws5_request',
      credentialFailure('AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws5_request', 'incorrect terminal "aws5_request". This endpoint uses "aws4_request".'),
    ],
  ])('%s -> InvalidArgument', (_name, credential, failure) => {
    const result = verifyPostForm(withField('x-amz-credential', credential), makeContext());
    expect(!result.ok && result.failure).toEqual(failure);
    expect(result.steps.at(-1)).toMatchObject({ name: 'parse', ok: false });
  });

  it('an access key id containing "/" is split from the right', () => {
    const token = makeToken({ accessKeyId: 'team/AKID' });
    const { fields } = createPresignedPost({
      bucket: EXAMPLE_BUCKET,
      key: 'a.txt',
      accessKeyId: 'team/AKID',
      secretAccessKey: EXAMPLE_SECRET,
      region: 'us-east-1',
      now: new Date('2026-03-01T10:00:00Z'),
      expiresIn: 60,
    });
    const result = verifyPostForm(new Map(Object.entries(fields)), makeContext({ now: new Date('2026-03-01T10:00:30Z') }, [token]));
    expect(result.ok && result.accessKeyId).toBe('team/AKID');
  });

  it.each(['20151229', '20151229T000000', '20151329T000000Z', '20151229T250000Z'])('x-amz-date %s -> DateMalformed', (date) => {
    const result = verifyPostForm(withField('x-amz-date', date), makeContext());
    expect(!result.ok && result.failure).toEqual({ reason: 'DateMalformed', elements: {} });
  });

  it('x-amz-security-token -> SecurityTokenInvalid (signet issues no session tokens)', () => {
    const result = verifyPostForm(withField('x-amz-security-token', 'FQoGZXIvYXdz'), makeContext());
    expect(!result.ok && result.failure).toEqual({ reason: 'SecurityTokenInvalid', elements: { 'Token-0': 'FQoGZXIvYXdz' } });
  });
});

describe('policy problems after a good signature', () => {
  function signedForm(policy: string): Map<string, string> {
    const form = withField('policy', policy);
    form.set('x-amz-signature', calculatePolicySignatureV4(EXAMPLE_SECRET, '20151229', 'us-east-1', policy));
    return form;
  }

  it('a signed policy that is not JSON -> InvalidPolicyDocument', () => {
    const result = verifyPostForm(signedForm(base64('not json')), makeContext());
    expect(!result.ok && result.failure).toEqual({ reason: 'InvalidPolicyDocument', message: 'Invalid Policy: Invalid JSON.', elements: {} });
    expect(result.steps.map((s) => [s.name, s.ok])).toEqual([
      ['detect', true],
      ['parse', true],
      ['token', true],
      ['signature', true],
      ['policy', false],
    ]);
  });

  it('a signed policy with two simple-condition properties -> InvalidPolicyDocument', () => {
    const policy = base64('{"expiration": "2015-12-30T12:00:00Z", "conditions": [{"bucket": "b", "acl": "x"}]}');
    const result = verifyPostForm(signedForm(policy), makeContext());
    expect(!result.ok && result.failure.message).toBe(
      'Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.',
    );
  });
});

describe('SigV2 forms (reference §4)', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  const token = makeToken();

  function v2Form(overrides: Record<string, string> = {}): Map<string, string> {
    const { fields } = createPresignedPost({
      bucket: 'photos',
      key: 'uploads/${filename}',
      accessKeyId: token.accessKeyId,
      secretAccessKey: token.secretAccessKey,
      region: 'us-east-1',
      now,
      expiresIn: 600,
      fields: { acl: 'private' },
      signatureVersion: 'v2',
    });
    return new Map(Object.entries({ ...fields, ...overrides }));
  }

  it('signature is base64(HMAC-SHA1(secret, policy))', () => {
    // HMAC-SHA1 with the key "key" over "The quick brown fox jumps over the lazy dog" (RFC 2104 test, Wikipedia).
    const hex = Buffer.from(calculatePolicySignatureV2('key', 'The quick brown fox jumps over the lazy dog'), 'base64').toString('hex');
    expect(hex).toBe('de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9');
  });

  it('a SigV2 form is accepted', () => {
    const result = verifyPostForm(v2Form(), makeContext({ now, bucket: 'photos', filename: 'a.png' }));
    expect(result).toMatchObject({ ok: true, kind: 'post-sigv2', accessKeyId: token.accessKeyId, key: 'uploads/a.png' });
  });

  it('a tampered SigV2 signature -> SignatureDoesNotMatch with the policy as StringToSign', () => {
    const form = v2Form({ signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    const result = verifyPostForm(form, makeContext({ now, bucket: 'photos' }));
    expect(!result.ok && result.failure).toEqual({
      reason: 'SignatureDoesNotMatch',
      elements: {
        AWSAccessKeyId: token.accessKeyId,
        StringToSign: form.get('policy'),
        SignatureProvided: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        StringToSignBytes: expect.stringMatching(/^[0-9a-f]{2}( [0-9a-f]{2})+$/),
      },
    });
  });

  it('an unknown AWSAccessKeyId -> AccessKeyUnknown', () => {
    const result = verifyPostForm(v2Form({ AWSAccessKeyId: 'NOPE' }), makeContext({ now, bucket: 'photos' }));
    expect(!result.ok && result.failure).toEqual({ reason: 'AccessKeyUnknown', elements: { AWSAccessKeyId: 'NOPE' } });
  });
});

describe('createPresignedPost', () => {
  const base = {
    bucket: 'photos',
    accessKeyId: EXAMPLE_ACCESS_KEY_ID,
    secretAccessKey: EXAMPLE_SECRET,
    region: 'us-east-1',
    now: new Date('2026-03-01T10:00:00Z'),
    expiresIn: 3600,
  };

  it('produces boto3-style fields with a policy that decodes to its conditions', () => {
    const { fields } = createPresignedPost({ ...base, key: 'a.txt', fields: { acl: 'private' } });
    expect(Object.keys(fields)).toEqual(['acl', 'key', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'policy', 'x-amz-signature']);
    expect(fields['x-amz-credential']).toBe(`${EXAMPLE_ACCESS_KEY_ID}/20260301/us-east-1/s3/aws4_request`);
    expect(fields['x-amz-date']).toBe('20260301T100000Z');
    expect(JSON.parse(Buffer.from(fields.policy, 'base64').toString())).toEqual({
      expiration: '2026-03-01T11:00:00Z',
      conditions: [
        { acl: 'private' },
        { bucket: 'photos' },
        { key: 'a.txt' },
        { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
        { 'x-amz-credential': `${EXAMPLE_ACCESS_KEY_ID}/20260301/us-east-1/s3/aws4_request` },
        { 'x-amz-date': '20260301T100000Z' },
      ],
    });
  });

  it('a key ending in ${filename} becomes a starts-with condition', () => {
    const { fields } = createPresignedPost({ ...base, key: 'uploads/${filename}' });
    const conditions = JSON.parse(Buffer.from(fields.policy, 'base64').toString()).conditions;
    expect(conditions).toContainEqual(['starts-with', '$key', 'uploads/']);
  });

  it('a field already named by a condition gets no extra exact condition', () => {
    const { fields } = createPresignedPost({
      ...base,
      key: 'a.txt',
      conditions: [['starts-with', '$Content-Type', 'image/']],
      fields: { 'Content-Type': 'image/png' },
    });
    const conditions = JSON.parse(Buffer.from(fields.policy, 'base64').toString()).conditions;
    expect(conditions).not.toContainEqual({ 'Content-Type': 'image/png' });
  });

  it('its forms pass verifyPostForm, and a different Content-Type within the prefix still passes', () => {
    const { fields } = createPresignedPost({
      ...base,
      key: 'uploads/${filename}',
      conditions: [['starts-with', '$Content-Type', 'image/'], ['content-length-range', 1, 1024]],
      fields: { 'Content-Type': 'image/png', 'x-amz-meta-owner': 'me' },
    });
    const form = new Map(Object.entries({ ...fields, 'Content-Type': 'image/gif' }));
    const result = verifyPostForm(form, makeContext({ now: base.now, bucket: 'photos', filename: 'cat.gif' }));
    expect(result).toMatchObject({ ok: true, key: 'uploads/cat.gif' });
  });

  it('its forms expire after expiresIn seconds', () => {
    const { fields } = createPresignedPost({ ...base, key: 'a.txt', expiresIn: 60 });
    const result = verifyPostForm(new Map(Object.entries(fields)), makeContext({ now: new Date('2026-03-01T10:01:01Z'), bucket: 'photos' }));
    expect(!result.ok && result.failure.reason).toBe('PolicyExpired');
  });
});
