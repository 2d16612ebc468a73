/**
 * Service and bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
 * GetBucketLocation, and a canned GetBucketAcl.
 */
import { bucketNameProblem } from '../../bucket-name.ts';
import { S3Error } from '../s3-errors.ts';
import { childText, el, elRaw, escapeXml, parseXmlBody, xmlDocument } from '../xml.ts';
import type { Operation } from './index.ts';
import { bucketOf, integerParam, noSuchBucket, ownerOf, ownerXml, requireBucket, sendEmpty, sendXml, type Ctx, type Owner } from './common.ts';
import { headerOf } from './object-metadata.ts';
import { readSmallBody } from './streams.ts';

const bucketAdmin = (ctx: Ctx) => ({ action: 'admin' as const, bucket: bucketOf(ctx) });
/** A request about the whole bucket: the authorizer refuses it to prefix-limited tokens. */
const bucketRead = (ctx: Ctx) => ({ action: 'read' as const, bucket: bucketOf(ctx) });

// ---- ListBuckets

/**
 * GET / — the buckets the token may see (all of them for a token without a bucket list).
 * Supports ListBuckets' newer prefix / max-buckets / continuation-token parameters.
 *
 *   <ListAllMyBucketsResult xmlns="…"><Owner>…</Owner>
 *     <Buckets><Bucket><Name/><CreationDate/><BucketRegion/></Bucket>…</Buckets>
 *     [<ContinuationToken/>] [<Prefix/>]
 *   </ListAllMyBucketsResult>
 */
export const listBuckets: Operation = {
  name: 'ListBuckets',
  access: () => ({ action: 'list-buckets' }),
  async run(ctx) {
    const { token } = ctx.principal;
    const prefix = ctx.query.get('prefix') ?? '';
    const maxBuckets =
      integerParam(ctx.query, 'max-buckets', { min: 1, max: 10000, message: 'Argument max-buckets must be an integer between 1 and 10000' }) ??
      10000;
    const after = decodeToken(ctx.query.get('continuation-token'));
    let buckets = ctx.storage.meta
      .listBuckets()
      .filter((b) => token.buckets.length === 0 || token.buckets.includes(b.name))
      .filter((b) => b.name.startsWith(prefix) && (after === undefined || b.name > after));
    const truncated = buckets.length > maxBuckets;
    buckets = buckets.slice(0, maxBuckets);
    const items = buckets
      .map((b) => elRaw('Bucket', el('Name', b.name) + el('CreationDate', b.createdAt) + el('BucketRegion', ctx.config.region)))
      .join('');
    const next = truncated ? Buffer.from(buckets[buckets.length - 1]!.name, 'utf8').toString('base64') : undefined;
    const xml = xmlDocument(
      'ListAllMyBucketsResult',
      ownerXml(ownerOf(ctx.config)) +
        elRaw('Buckets', items) +
        el('ContinuationToken', next) +
        (ctx.query.has('prefix') ? el('Prefix', prefix) : ''),
    );
    sendXml(ctx.res, xml);
  },
};

function decodeToken(token: string | null): string | undefined {
  if (token === null) return undefined;
  const name = Buffer.from(token, 'base64').toString('utf8');
  if (token === '' || Buffer.from(name, 'utf8').toString('base64') !== token) {
    throw new S3Error('InvalidArgument', {
      message: 'The continuation token provided is incorrect',
      elements: { ArgumentName: 'continuation-token', ArgumentValue: token },
    });
  }
  return name;
}

// ---- CreateBucket

/**
 * PUT /BUCKET, with an optional body
 *
 *   <CreateBucketConfiguration xmlns="…"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>
 *
 * Answers 200 with `Location: /BUCKET`.
 */
export const createBucket: Operation = {
  name: 'CreateBucket',
  access: bucketAdmin,
  async run(ctx) {
    const bucket = bucketOf(ctx);
    if (bucketNameProblem(bucket) !== undefined) throw new S3Error('InvalidBucketName', { elements: { BucketName: bucket } });
    if (headerOf(ctx.headers, 'x-amz-bucket-object-lock-enabled')?.toLowerCase() === 'true') {
      throw new S3Error('NotImplemented', { message: 'signet does not implement S3 Object Lock (x-amz-bucket-object-lock-enabled).' });
    }
    const body = await readSmallBody(ctx, 64 * 1024);
    checkLocationConstraint(locationConstraintOf(body), ctx.config.region);
    if (ctx.storage.meta.createBucket(bucket, ctx.now) === 'exists' && ctx.config.region !== 'us-east-1') {
      // In us-east-1 only, S3 answers 200 to the owner re-creating a bucket (CreateBucket
      // reference, "BucketAlreadyOwnedByYou"); every other region answers 409.
      throw new S3Error('BucketAlreadyOwnedByYou', { elements: { BucketName: bucket } });
    }
    sendEmpty(ctx.res, 200, { Location: `/${bucket}` });
  },
};

function locationConstraintOf(body: Buffer): string | undefined {
  if (body.toString('utf8').trim() === '') return undefined;
  const config = parseXmlBody(body, 'CreateBucketConfiguration');
  if (config === '') return undefined;
  const location = childText(config, 'LocationConstraint');
  return location === '' ? undefined : location;
}

/**
 * S3's rules, for a server that is one region:
 *   none (or empty)               accepted. (Outside us-east-1 S3 refuses it, "The unspecified
 *                                 location constraint is incompatible…"; signet accepts it so
 *                                 that tools that never send one work in any region.)
 *   the server's region           accepted, except "us-east-1", which S3 never accepts as a
 *                                 constraint (400 InvalidLocationConstraint)
 *   another region                400 IllegalLocationConstraintException
 *   not a region name             400 InvalidLocationConstraint
 */
function checkLocationConstraint(location: string | undefined, region: string): void {
  if (location === undefined || (location === region && region !== 'us-east-1')) return;
  if (location === 'us-east-1' || !looksLikeRegion(location)) {
    throw new S3Error('InvalidLocationConstraint', { elements: { LocationConstraint: location } });
  }
  throw new S3Error('IllegalLocationConstraintException', {
    message: `The ${location} location constraint is incompatible for the region specific endpoint this request was sent to.`,
  });
}

function looksLikeRegion(name: string): boolean {
  return name === 'EU' || /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(name);
}

// ---- HeadBucket, DeleteBucket, GetBucketLocation, GetBucketAcl

/** HEAD /BUCKET — 200 with x-amz-bucket-region; 404 without a body when missing. */
export const headBucket: Operation = {
  name: 'HeadBucket',
  access: bucketRead,
  async run(ctx) {
    requireBucket(ctx);
    sendEmpty(ctx.res, 200, { 'x-amz-bucket-region': ctx.config.region, 'x-amz-access-point-alias': 'false' });
  },
};

/** DELETE /BUCKET — 204; 409 BucketNotEmpty while objects or multipart uploads remain. */
export const deleteBucket: Operation = {
  name: 'DeleteBucket',
  access: bucketAdmin,
  async run(ctx) {
    const bucket = bucketOf(ctx);
    const outcome = ctx.storage.meta.deleteBucket(bucket);
    if (outcome === 'missing') throw noSuchBucket(bucket);
    if (outcome === 'not-empty') throw new S3Error('BucketNotEmpty', { elements: { BucketName: bucket } });
    sendEmpty(ctx.res, 204);
  },
};

/**
 * GET /BUCKET?location — `<LocationConstraint xmlns="…">eu-west-1</LocationConstraint>`, empty
 * for us-east-1 (S3 reports that region as no constraint).
 */
export const getBucketLocation: Operation = {
  name: 'GetBucketLocation',
  access: bucketRead,
  async run(ctx) {
    requireBucket(ctx);
    const region = ctx.config.region === 'us-east-1' ? '' : ctx.config.region;
    sendXml(ctx.res, xmlDocument('LocationConstraint', escapeXml(region)));
  },
};

/**
 * signet has no ACLs; some tools read them anyway. The answer is the truth: the owner, with
 * FULL_CONTROL and nothing else.
 */
export function cannedAclXml(owner: Owner): string {
  const grantee =
    '<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">' +
    el('ID', owner.id) +
    el('DisplayName', owner.displayName) +
    '</Grantee>';
  return xmlDocument(
    'AccessControlPolicy',
    ownerXml(owner) + elRaw('AccessControlList', elRaw('Grant', grantee + el('Permission', 'FULL_CONTROL'))),
  );
}

export const getBucketAcl: Operation = {
  name: 'GetBucketAcl',
  access: bucketRead,
  async run(ctx) {
    requireBucket(ctx);
    sendXml(ctx.res, cannedAclXml(ownerOf(ctx.config)));
  },
};
