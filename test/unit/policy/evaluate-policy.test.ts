import { describe, expect, it } from 'vitest';
import {
  contentLengthRange,
  evaluatePolicy,
  expandFilename,
  resolveKey,
} from '../../../src/policy/evaluate-policy.ts';
import { policyWith } from './fixtures.ts';

const NOW = new Date('2026-03-01T10:00:00Z');
const BUCKET = 'photos';

function evaluate(conditions: unknown[], fields: Record<string, string>, bucket = BUCKET) {
  return evaluatePolicy(policyWith(conditions), new Map(Object.entries(fields)), { now: NOW, bucket });
}

function conditionFailed(rendered: string) {
  return {
    ok: false,
    failure: { reason: 'PolicyConditionFailed', message: `Invalid according to Policy: Policy Condition failed: ${rendered}`, elements: {} },
  };
}

function extraInputFields(name: string) {
  return {
    ok: false,
    failure: { reason: 'PolicyExtraInputFields', message: `Invalid according to Policy: Extra input fields: ${name}`, elements: {} },
  };
}

interface Case {
  name: string;
  conditions: unknown[];
  fields: Record<string, string>;
  bucket?: string;
  /** undefined = accepted */
  refused?: ReturnType<typeof conditionFailed>;
}

const cases: Case[] = [
  // exact match
  { name: 'eq: equal value -> accepted', conditions: [['eq', '$acl', 'private']], fields: { acl: 'private' } },
  {
    name: 'eq: different value -> condition failed',
    conditions: [['eq', '$acl', 'private']],
    fields: { acl: 'public-read' },
    refused: conditionFailed('["eq", "$acl", "private"]'),
  },
  {
    name: 'eq: values are case-sensitive (HTTP:// is not http://)',
    conditions: [['eq', '$success_action_redirect', 'HTTP://localhost.test/random']],
    fields: { success_action_redirect: 'http://localhost.test/random' },
    refused: conditionFailed('["eq", "$success_action_redirect", "HTTP://localhost.test/random"]'),
  },
  {
    name: 'eq: object form, failure printed as an eq array',
    conditions: [{ acl: 'private' }],
    fields: { acl: 'public-read' },
    refused: conditionFailed('["eq", "$acl", "private"]'),
  },
  {
    name: 'eq: a field absent from the form fails',
    conditions: [['eq', '$acl', 'private']],
    fields: {},
    refused: conditionFailed('["eq", "$acl", "private"]'),
  },
  {
    name: 'eq "": a field absent from the form still fails',
    conditions: [['eq', '$x-amz-meta-note', '']],
    fields: {},
    refused: conditionFailed('["eq", "$x-amz-meta-note", ""]'),
  },
  { name: 'eq "": an empty field is accepted', conditions: [['eq', '$x-amz-meta-note', '']], fields: { 'x-amz-meta-note': '' } },
  {
    name: 'eq "": a non-empty field fails (s3-tests invalid_request_field_value)',
    conditions: [['eq', '$x-amz-meta-note', '']],
    fields: { 'x-amz-meta-note': 'x' },
    refused: conditionFailed('["eq", "$x-amz-meta-note", ""]'),
  },
  {
    name: 'eq: a Content-Type with parameters is not the bare type',
    conditions: [{ 'Content-Type': 'image/png' }],
    fields: { 'content-type': 'image/png; charset=binary' },
    refused: conditionFailed('["eq", "$Content-Type", "image/png"]'),
  },
  // starts-with
  { name: 'starts-with: matching prefix -> accepted', conditions: [['starts-with', '$key', 'user/']], fields: { key: 'user/a.txt' } },
  {
    name: 'starts-with: other prefix -> condition failed',
    conditions: [['starts-with', '$key', 'user/']],
    fields: { key: 'admin/a.txt' },
    refused: conditionFailed('["starts-with", "$key", "user/"]'),
  },
  {
    name: 'starts-with: prefix is case-sensitive',
    conditions: [['starts-with', '$key', 'user/']],
    fields: { key: 'User/a.txt' },
    refused: conditionFailed('["starts-with", "$key", "user/"]'),
  },
  {
    name: 'starts-with: a field absent from the form fails',
    conditions: [['starts-with', '$x-amz-meta-tag', 'a']],
    fields: {},
    refused: conditionFailed('["starts-with", "$x-amz-meta-tag", "a"]'),
  },
  { name: 'starts-with "": any value is accepted', conditions: [['starts-with', '$x-amz-meta-tag', '']], fields: { 'x-amz-meta-tag': 'anything' } },
  { name: 'starts-with "": an absent field is accepted', conditions: [['starts-with', '$success_action_redirect', '']], fields: {} },
  {
    name: 'starts-with on an exact-only field fails even when it would match (success_action_status)',
    conditions: [['starts-with', '$success_action_status', '2']],
    fields: { success_action_status: '201' },
    refused: conditionFailed('["starts-with", "$success_action_status", "2"]'),
  },
  {
    name: 'starts-with "" on a field outside the documented list fails (AWS-OBS $utf8)',
    conditions: [['starts-with', '$utf8', '']],
    fields: { utf8: '✓' },
    refused: conditionFailed('["starts-with", "$utf8", ""]'),
  },
  {
    name: 'starts-with "" on Content-Length fails (AWS-OBS)',
    conditions: [['starts-with', '$Content-Length', '']],
    fields: {},
    refused: conditionFailed('["starts-with", "$Content-Length", ""]'),
  },
  {
    name: 'starts-with on an x-amz-* auth field fails',
    conditions: [['starts-with', '$x-amz-date', '2026']],
    fields: { 'x-amz-date': '20260301T100000Z' },
    refused: conditionFailed('["starts-with", "$x-amz-date", "2026"]'),
  },
  // case-insensitive names
  { name: 'field names are case-insensitive ($KeY covers key)', conditions: [['eq', '$KeY', 'a']], fields: { key: 'a' } },
  { name: 'operators are case-insensitive (StArTs-WiTh)', conditions: [['StArTs-WiTh', '$key', 'a']], fields: { key: 'abc' } },
  {
    name: 'a failed condition prints its names as written',
    conditions: [['StArTs-WiTh', '$KeY', 'a']],
    fields: { key: 'b' },
    refused: conditionFailed('["StArTs-WiTh", "$KeY", "a"]'),
  },
  // Content-Type lists
  {
    name: 'starts-with on Content-Type: every listed type matching -> accepted',
    conditions: [['starts-with', '$Content-Type', 'image/']],
    fields: { 'content-type': 'image/jpeg, image/png,image/gif' },
  },
  {
    name: 'starts-with on Content-Type: one listed type outside the prefix -> condition failed',
    conditions: [['starts-with', '$Content-Type', 'image/']],
    fields: { 'content-type': 'image/png,text/html' },
    refused: conditionFailed('["starts-with", "$Content-Type", "image/"]'),
  },
  {
    name: 'commas are ordinary characters in other fields',
    conditions: [['starts-with', '$x-amz-meta-list', 'a,']],
    fields: { 'x-amz-meta-list': 'a,zzz' },
  },
  {
    name: 'repeated fields joined with "," are compared as one value',
    conditions: [{ 'x-amz-meta-tag': 'Ninja,Stallman' }],
    fields: { 'x-amz-meta-tag': 'Ninja,Stallman' },
  },
  // bucket
  { name: 'bucket: compared with the bucket of the request, no bucket field needed', conditions: [{ bucket: BUCKET }], fields: {} },
  {
    name: 'bucket: a policy for another bucket fails, whatever the bucket field says',
    conditions: [{ bucket: 'other' }],
    fields: { bucket: 'other' },
    refused: conditionFailed('["eq", "$bucket", "other"]'),
  },
  { name: 'bucket: starts-with is allowed', conditions: [['starts-with', '$bucket', 'pho']], fields: {} },
  // content-length-range
  { name: 'content-length-range is left to the upload stream', conditions: [['content-length-range', 1, 1]], fields: {} },
  // coverage
  {
    name: 'a field no condition names -> extra input fields',
    conditions: [{ key: 'a' }],
    fields: { key: 'a', 'x-amz-meta-extra': '1' },
    refused: extraInputFields('x-amz-meta-extra'),
  },
  {
    name: 'the extra field is named lower-case',
    conditions: [{ key: 'a' }],
    fields: { key: 'a', 'Content-Type': 'text/plain' },
    refused: extraInputFields('content-type'),
  },
  {
    name: 'several extra fields -> the first in form order is named',
    conditions: [{ key: 'a' }],
    fields: { submit: 'Upload', key: 'a', filename: 'x' },
    refused: extraInputFields('submit'),
  },
  {
    name: 'a bucket field needs a bucket condition (aws-sdk-php#3292)',
    conditions: [{ key: 'a' }],
    fields: { key: 'a', bucket: BUCKET },
    refused: extraInputFields('bucket'),
  },
  {
    name: 'content-length-range does not cover a field of that name',
    conditions: [{ key: 'a' }, ['content-length-range', 0, 10]],
    fields: { key: 'a', 'content-length-range': '5' },
    refused: extraInputFields('content-length-range'),
  },
  {
    name: 'signature, policy, file, x-ignore-* and the SigV2 fields need no condition',
    conditions: [{ key: 'a' }],
    fields: {
      key: 'a',
      policy: 'p',
      'x-amz-signature': 's',
      signature: 's',
      awsaccesskeyid: 'k',
      file: 'contents',
      'x-ignore-submit': 'Upload',
      'X-Ignore-Filename': 'x',
    },
  },
  // order
  {
    name: 'conditions are checked in policy order: the first failing one is reported',
    conditions: [['starts-with', '$key', 'user/'], { acl: 'private' }],
    fields: { key: 'x', acl: 'public-read' },
    refused: conditionFailed('["starts-with", "$key", "user/"]'),
  },
  {
    name: 'conditions are checked before coverage',
    conditions: [{ acl: 'private' }],
    fields: { acl: 'public-read', extra: '1' },
    refused: conditionFailed('["eq", "$acl", "private"]'),
  },
];

describe('evaluatePolicy', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(evaluate(c.conditions, c.fields, c.bucket)).toEqual(c.refused ?? { ok: true });
  });
});

describe('evaluatePolicy expiration', () => {
  const policy = policyWith([{ key: 'a' }], '2026-03-01T10:00:00Z');
  const fields = new Map([['key', 'a']]);

  it('a second after the expiration -> Policy expired', () => {
    expect(evaluatePolicy(policy, fields, { now: new Date('2026-03-01T10:00:01Z'), bucket: BUCKET })).toEqual({
      ok: false,
      failure: { reason: 'PolicyExpired', elements: {} },
    });
  });

  it('at the expiration instant -> still accepted', () => {
    expect(evaluatePolicy(policy, fields, { now: new Date('2026-03-01T10:00:00Z'), bucket: BUCKET })).toEqual({ ok: true });
  });

  it('expiry is reported before a failing condition', () => {
    const result = evaluatePolicy(policy, new Map([['key', 'b']]), { now: new Date('2027-01-01T00:00:00Z'), bucket: BUCKET });
    expect(result.ok || result.failure.reason).toBe('PolicyExpired');
  });
});

describe('contentLengthRange', () => {
  it('is undefined when the policy has none', () => {
    expect(contentLengthRange(policyWith([{ key: 'a' }]))).toBeUndefined();
  });

  it('returns the inclusive bounds', () => {
    expect(contentLengthRange(policyWith([['content-length-range', 5, 10]]))).toEqual({ min: 5, max: 10 });
  });

  it('intersects several ranges', () => {
    expect(contentLengthRange(policyWith([['content-length-range', 5, 100], ['content-length-range', '10', '50']]))).toEqual({ min: 10, max: 50 });
  });
});

describe('${filename}', () => {
  it.each([
    ['a plain name', 'user/${filename}', 'photo.jpg', 'user/photo.jpg'],
    ['a Windows path keeps the part after the last backslash', 'user/${filename}', 'C:\\Users\\me\\photo.jpg', 'user/photo.jpg'],
    ['a POSIX path keeps the part after the last slash', 'user/${filename}', '/home/me/photo.jpg', 'user/photo.jpg'],
    ['every occurrence', '${filename}/${filename}', 'a.txt', 'a.txt/a.txt'],
    ['a name with $& is inserted literally', 'user/${filename}', '$&$1.txt', 'user/$&$1.txt'],
    ['an empty filename empties the variable', 'user/${filename}', '', 'user/'],
    ['no file name at all keeps the literal variable (AWS-OBS)', 'user/${filename}', undefined, 'user/${filename}'],
  ])('%s', (_name, key, filename, expected) => {
    expect(resolveKey(key, filename)).toBe(expected);
  });

  it('is expanded in every field, not only key', () => {
    const fields = new Map([
      ['key', 'u/${filename}'],
      ['x-amz-meta-original', '${filename}'],
    ]);
    expect([...expandFilename(fields, 'a.png')]).toEqual([
      ['key', 'u/a.png'],
      ['x-amz-meta-original', 'a.png'],
    ]);
  });

  it('conditions are checked after expansion', () => {
    const policy = policyWith([['eq', '$key', 'user/a.png']]);
    const fields = expandFilename(new Map([['key', 'user/${filename}']]), 'a.png');
    expect(evaluatePolicy(policy, fields, { now: NOW, bucket: BUCKET })).toEqual({ ok: true });
  });
});
