/**
 * The signer's side of a browser POST, for tests and the demo page: builds the policy and the
 * form fields the way boto3's `generate_presigned_post` does (reference §5.8), signed with the
 * same functions the verifier uses. Returns fields only; the form posts to the bucket URL.
 *
 *   conditions  the caller's, an exact condition for each caller field no condition names,
 *               {"bucket"}, the key condition, then the x-amz-* exact conditions (SigV4)
 *   key         `…${filename}` becomes ["starts-with", "$key", "…"], as boto3 and JS v3 do
 */
import { calculatePolicySignatureV2, calculatePolicySignatureV4 } from './policy-signature.ts';

export interface PresignedPostInput {
  bucket: string;
  key: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  now: Date;
  /** Seconds from `now` until the policy expires. */
  expiresIn: number;
  /** Extra conditions as JSON: {"acl": "public-read"}, ["starts-with", "$Content-Type", "image/"]. */
  conditions?: unknown[];
  /** Extra form fields (acl, Content-Type, x-amz-meta-*…). */
  fields?: Record<string, string>;
  /** 'v4' (default) signs with x-amz-* fields; 'v2' with AWSAccessKeyId and signature. */
  signatureVersion?: 'v4' | 'v2';
}

export interface PresignedPost {
  /** Every form field to send before the file, including `policy` and the signature. */
  fields: Record<string, string>;
}

export function createPresignedPost(input: PresignedPostInput): PresignedPost {
  const userFields = input.fields ?? {};
  const conditions: unknown[] = [...(input.conditions ?? [])];
  for (const [name, value] of Object.entries(userFields)) {
    if (!namesField(conditions, name)) conditions.push({ [name]: value });
  }
  conditions.push({ bucket: input.bucket });
  conditions.push(keyCondition(input.key));

  if (input.signatureVersion === 'v2') {
    const policy = encodePolicy(input.now, input.expiresIn, conditions);
    return {
      fields: {
        ...userFields,
        key: input.key,
        AWSAccessKeyId: input.accessKeyId,
        policy,
        signature: calculatePolicySignatureV2(input.secretAccessKey, policy),
      },
    };
  }

  const amzDate = formatAmzDate(input.now);
  const shortDate = amzDate.slice(0, 8);
  const credential = `${input.accessKeyId}/${shortDate}/${input.region}/s3/aws4_request`;
  const authFields = { 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': credential, 'x-amz-date': amzDate };
  for (const [name, value] of Object.entries(authFields)) conditions.push({ [name]: value });
  const policy = encodePolicy(input.now, input.expiresIn, conditions);
  return {
    fields: {
      ...userFields,
      key: input.key,
      ...authFields,
      policy,
      'x-amz-signature': calculatePolicySignatureV4(input.secretAccessKey, shortDate, input.region, policy),
    },
  };
}

function keyCondition(key: string): unknown {
  const variable = '${filename}';
  return key.endsWith(variable) ? ['starts-with', '$key', key.slice(0, -variable.length)] : { key };
}

/** Whether a condition already names the field: {"name": …} or [op, "$name", …], any case. */
function namesField(conditions: unknown[], name: string): boolean {
  const lower = name.toLowerCase();
  return conditions.some((c) => {
    if (Array.isArray(c)) return typeof c[1] === 'string' && c[1].toLowerCase() === `$${lower}`;
    return typeof c === 'object' && c !== null && Object.keys(c).some((k) => k.toLowerCase() === lower);
  });
}

function encodePolicy(now: Date, expiresIn: number, conditions: unknown[]): string {
  const expiration = new Date(now.getTime() + expiresIn * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return Buffer.from(JSON.stringify({ expiration, conditions }), 'utf8').toString('base64');
}

/** 2015-12-29T00:00:00.000Z -> 20151229T000000Z */
function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}
