/**
 * Multipart uploads:
 *
 *   POST   /B/K?uploads                 CreateMultipartUpload -> InitiateMultipartUploadResult
 *   PUT    /B/K?partNumber=N&uploadId=U UploadPart (or UploadPartCopy with x-amz-copy-source)
 *   POST   /B/K?uploadId=U              CompleteMultipartUpload
 *   DELETE /B/K?uploadId=U              AbortMultipartUpload (204)
 *   GET    /B/K?uploadId=U              ListParts
 *   GET    /B?uploads                   ListMultipartUploads
 *
 * The multipart ETag is the MD5 of the concatenated binary MD5s of the parts, then '-' and
 * the part count: "\"<hex>-3\"".
 */
import { createHash, randomBytes } from 'node:crypto';
import { createChecksum, parseChecksumAlgorithm } from '../../checksum/checksum.ts';
import type { ChecksumAlgorithm, PartRecord, StoredChecksum, UploadRecord, WrittenBlob } from '../../storage/types.ts';
import { prepareUploadBody, DEFAULT_MAX_UPLOAD_BYTES } from '../body.ts';
import { S3Error } from '../s3-errors.ts';
import { childList, childText, el, elRaw, parseXmlBody, xmlDocument } from '../xml.ts';
import type { Operation } from './index.ts';
import {
  bucketOf,
  checkKeyLength,
  keyOf,
  objectUrl,
  ownerOf,
  ownerXml,
  requireBucket,
  sendEmpty,
  sendXml,
  unquoteEtag,
  type Ctx,
} from './common.ts';
import { MAX_LIST_KEYS, listingAccess, parseEncodingType, parseMaxCount, urlEncodeKey } from './list-objects.ts';
import { checksumHeaders, effectiveHeaders, headerOf, metadataFromHeaders } from './object-metadata.ts';
import { copyBlob, readableCopySource } from './copy-object.ts';
import { objectWrite } from './put-object.ts';
import { readSmallBody } from './streams.ts';

/** Every part but the last must be at least 5 MiB. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10000;
/** 10000 parts with ETags and checksums fit easily. */
const MAX_COMPLETE_BODY_BYTES = 8 * 1024 * 1024;

const objectRead = (ctx: Ctx) => ({ action: 'read' as const, bucket: bucketOf(ctx), key: keyOf(ctx) });

// ---- CreateMultipartUpload

export const createMultipartUpload: Operation = {
  name: 'CreateMultipartUpload',
  access: objectWrite,
  async run(ctx) {
    const bucket = bucketOf(ctx);
    const key = keyOf(ctx);
    checkKeyLength(key);
    const headers = effectiveHeaders(ctx);
    const metadata = metadataFromHeaders(headers);
    const checksumAlgorithm = announcedChecksumAlgorithm(headers);
    requireBucket(ctx);
    const upload: UploadRecord = {
      uploadId: randomBytes(32).toString('base64url'),
      bucket,
      key,
      initiated: ctx.now.toISOString(),
      metadata,
      checksumAlgorithm,
    };
    ctx.storage.meta.createUpload(upload);
    const extra: Record<string, string> = checksumAlgorithm ? { 'x-amz-checksum-algorithm': checksumAlgorithm } : {};
    sendXml(
      ctx.res,
      xmlDocument('InitiateMultipartUploadResult', el('Bucket', bucket) + el('Key', key) + el('UploadId', upload.uploadId)),
      200,
      extra,
    );
  },
};

/**
 * The algorithm for the object's COMPOSITE checksum. An upload that asks for a FULL_OBJECT
 * checksum (x-amz-checksum-type) gets none: signet does not combine part CRCs into a
 * whole-object CRC, and a COMPOSITE value would answer a question that was not asked.
 */
function announcedChecksumAlgorithm(headers: Record<string, string[]>): ChecksumAlgorithm | undefined {
  const value = headerOf(headers, 'x-amz-checksum-algorithm');
  if (value === undefined) return undefined;
  const algorithm = parseChecksumAlgorithm(value);
  if (!algorithm) {
    throw new S3Error('InvalidRequest', {
      message: 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
    });
  }
  return headerOf(headers, 'x-amz-checksum-type')?.toUpperCase() === 'FULL_OBJECT' ? undefined : algorithm;
}

// ---- the upload named by ?uploadId

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error('NoSuchUpload', { elements: { UploadId: uploadId } });
}

/** The upload in ?uploadId, which must belong to this bucket and key. */
function requireUpload(ctx: Ctx): UploadRecord {
  const bucket = bucketOf(ctx);
  requireBucket(ctx);
  const uploadId = ctx.query.get('uploadId') ?? '';
  const upload = ctx.storage.meta.getUpload(uploadId);
  if (!upload || upload.bucket !== bucket || upload.key !== keyOf(ctx)) throw noSuchUpload(uploadId);
  return upload;
}

function parsePartNumber(raw: string | null): number {
  if (raw === null || !/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', {
      message: 'Part number must be an integer between 1 and 10000, inclusive',
      elements: { ArgumentName: 'partNumber', ArgumentValue: raw ?? '' },
    });
  }
  return Number(raw);
}

/** Records a written part, unless the upload was completed or aborted meanwhile. */
async function commitPart(ctx: Ctx, written: WrittenBlob, part: PartRecord): Promise<void> {
  const { meta, blobs } = ctx.storage;
  const { result: outcome, flushed } = meta.commitTransaction(() => (meta.getUpload(part.uploadId) ? meta.putPart(part) : undefined));
  if (!outcome) {
    await blobs.remove(written.blobId);
    throw noSuchUpload(part.uploadId);
  }
  blobs.removeOnceFlushed(flushed, [outcome.replacedBlobId]);
}

// ---- UploadPart, UploadPartCopy

/** Uploading a part number again replaces that part. */
export const uploadPart: Operation = {
  name: 'UploadPart',
  access: objectWrite,
  async run(ctx) {
    const partNumber = parsePartNumber(ctx.query.get('partNumber'));
    const upload = requireUpload(ctx);
    const body = prepareUploadBody(ctx.req, {
      payload: ctx.principal.payload,
      headers: ctx.headers,
      maxBytes: DEFAULT_MAX_UPLOAD_BYTES,
      operation: 'UploadPart',
      steps: ctx.principal.steps,
    });
    const written = await ctx.storage.blobs.write(await body.content, { md5: false });
    const result = body.result();
    const etag = `"${result.md5Hex}"`;
    await commitPart(ctx, written, {
      uploadId: upload.uploadId,
      partNumber,
      blobId: written.blobId,
      size: written.size,
      etag,
      md5Hex: result.md5Hex,
      lastModified: ctx.clock.now().toISOString(),
      checksum: result.checksum,
    });
    sendEmpty(ctx.res, 200, { ETag: etag, ...checksumHeaders(result.checksum) });
  },
};

/**
 *   x-amz-copy-source-range: bytes=first-last   (inclusive, both required, within the source)
 *
 *   <CopyPartResult><ETag>"…"</ETag><LastModified>…</LastModified></CopyPartResult>
 */
export const uploadPartCopy: Operation = {
  name: 'UploadPartCopy',
  access: objectWrite,
  async run(ctx) {
    const partNumber = parsePartNumber(ctx.query.get('partNumber'));
    const upload = requireUpload(ctx);
    const headers = effectiveHeaders(ctx);
    const { source, record } = readableCopySource(ctx, headers);
    const range = copySourceRange(headerOf(headers, 'x-amz-copy-source-range'), record.size);
    const written = await copyBlob(ctx, source, record, range);
    const etag = `"${written.md5Hex}"`;
    const lastModified = ctx.clock.now().toISOString();
    await commitPart(ctx, written, {
      uploadId: upload.uploadId,
      partNumber,
      blobId: written.blobId,
      size: written.size,
      etag,
      md5Hex: written.md5Hex,
      lastModified,
    });
    sendXml(ctx.res, xmlDocument('CopyPartResult', el('ETag', etag) + el('LastModified', lastModified)));
  },
};

function copySourceRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!m || Number(m[2]) < Number(m[1])) {
    throw new S3Error('InvalidArgument', {
      message:
        'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      elements: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: value },
    });
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end >= size) {
    throw new S3Error('InvalidArgument', {
      message: `Range specified is not valid for source object of size: ${size}`,
      elements: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: value },
    });
  }
  return { start, end };
}

// ---- CompleteMultipartUpload

/**
 *   <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"…"</ETag></Part>…</CompleteMultipartUpload>
 *
 *   <CompleteMultipartUploadResult xmlns="…"><Location/><Bucket/><Key/><ETag/>[<ChecksumX/><ChecksumType/>]</CompleteMultipartUploadResult>
 */
export const completeMultipartUpload: Operation = {
  name: 'CompleteMultipartUpload',
  access: objectWrite,
  async run(ctx) {
    const upload = requireUpload(ctx);
    const requested = parseCompleteRequest(await readSmallBody(ctx, MAX_COMPLETE_BODY_BYTES));
    const parts = selectParts(upload, ctx.storage.meta.listParts(upload.uploadId), requested);

    const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.md5Hex, 'hex')));
    const etag = `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`;
    const checksum = compositeChecksum(upload.checksumAlgorithm, parts);
    const written = await ctx.storage.blobs.concat(parts.map((p) => p.blobId));

    const { meta, blobs } = ctx.storage;
    const record = {
      bucket: upload.bucket,
      key: upload.key,
      blobId: written.blobId,
      size: written.size,
      etag,
      lastModified: ctx.clock.now().toISOString(),
      metadata: checksum ? { ...upload.metadata, checksum } : upload.metadata,
      partSizes: parts.map((p) => p.size),
    };
    const { result: outcome, flushed } = meta.commitTransaction(() => {
      if (!meta.getUpload(upload.uploadId)) return undefined;
      const put = meta.putObject(record);
      if (!put) return undefined;
      return { replacedBlobId: put.replacedBlobId, partBlobIds: meta.deleteUpload(upload.uploadId) };
    });
    if (!outcome) {
      await blobs.remove(written.blobId);
      throw noSuchUpload(upload.uploadId);
    }
    blobs.removeOnceFlushed(flushed, [...outcome.partBlobIds, outcome.replacedBlobId]);

    const checksumXml = checksum ? el(`Checksum${checksum.algorithm}`, checksum.value) + el('ChecksumType', checksum.type) : '';
    sendXml(
      ctx.res,
      xmlDocument(
        'CompleteMultipartUploadResult',
        el('Location', objectUrl(ctx, upload.bucket, upload.key)) +
          el('Bucket', upload.bucket) +
          el('Key', upload.key) +
          el('ETag', etag) +
          checksumXml,
      ),
    );
  },
};

export interface RequestedPart {
  partNumber: number;
  etag: string;
}

/** An empty list, or a part without a whole PartNumber or an ETag, is MalformedXML. */
export function parseCompleteRequest(body: Buffer): RequestedPart[] {
  const root = parseXmlBody(body, 'CompleteMultipartUpload');
  const parts = root === '' ? [] : childList(root, 'Part');
  if (parts.length === 0) throw new S3Error('MalformedXML');
  return parts.map((part) => {
    const number = childText(part, 'PartNumber')?.trim();
    const etag = childText(part, 'ETag');
    if (number === undefined || !/^\d{1,5}$/.test(number) || etag === undefined) throw new S3Error('MalformedXML');
    return { partNumber: Number(number), etag };
  });
}

/**
 * The stored parts the request names, checked in S3's order: ascending part numbers
 * (InvalidPartOrder), each part uploaded with that ETag (InvalidPart), every part but the
 * last at least 5 MiB (EntityTooSmall).
 */
function selectParts(upload: UploadRecord, stored: PartRecord[], requested: RequestedPart[]): PartRecord[] {
  for (let i = 1; i < requested.length; i++) {
    if (requested[i]!.partNumber <= requested[i - 1]!.partNumber) throw new S3Error('InvalidPartOrder', { elements: { UploadId: upload.uploadId } });
  }
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const parts = requested.map((want) => {
    const part = byNumber.get(want.partNumber);
    if (!part || unquoteEtag(part.etag) !== unquoteEtag(want.etag)) {
      throw new S3Error('InvalidPart', {
        elements: { UploadId: upload.uploadId, PartNumber: String(want.partNumber), ETag: unquoteEtag(want.etag) },
      });
    }
    return part;
  });
  parts.slice(0, -1).forEach((part) => {
    if (part.size < MIN_PART_SIZE) {
      throw new S3Error('EntityTooSmall', {
        elements: {
          ProposedSize: String(part.size),
          MinSizeAllowed: String(MIN_PART_SIZE),
          PartNumber: String(part.partNumber),
          ETag: unquoteEtag(part.etag),
        },
      });
    }
  });
  return parts;
}

/**
 * When the upload announced a checksum algorithm and every part carries that checksum, the
 * object's checksum is COMPOSITE: the checksum of the parts' concatenated raw checksums,
 * then '-' and the part count ("base64-3"). Otherwise the object gets no checksum.
 */
function compositeChecksum(algorithm: ChecksumAlgorithm | undefined, parts: PartRecord[]): StoredChecksum | undefined {
  if (!algorithm || !parts.every((p) => p.checksum?.algorithm === algorithm)) return undefined;
  const calc = createChecksum(algorithm);
  for (const part of parts) calc.update(Buffer.from(part.checksum!.value, 'base64'));
  return { algorithm, value: `${calc.digestBase64()}-${parts.length}`, type: 'COMPOSITE' };
}

// ---- AbortMultipartUpload

export const abortMultipartUpload: Operation = {
  name: 'AbortMultipartUpload',
  access: objectWrite,
  async run(ctx) {
    const upload = requireUpload(ctx);
    for (const blobId of ctx.storage.meta.deleteUpload(upload.uploadId)) await ctx.storage.blobs.remove(blobId);
    sendEmpty(ctx.res, 204);
  },
};

// ---- ListParts

/**
 *   <ListPartsResult xmlns="…"><Bucket/><Key/><UploadId/><Initiator/><Owner/><StorageClass/>
 *     <PartNumberMarker/>[<NextPartNumberMarker/>]<MaxParts/><IsTruncated/>[<ChecksumAlgorithm/>]
 *     <Part><PartNumber/><LastModified/><ETag/><Size/>[<ChecksumX/>]</Part>…</ListPartsResult>
 */
export const listParts: Operation = {
  name: 'ListParts',
  access: objectRead,
  async run(ctx) {
    const upload = requireUpload(ctx);
    const maxParts = Math.min(parseMaxCount(ctx.query, 'max-parts') ?? MAX_LIST_KEYS, MAX_LIST_KEYS);
    const marker = parsePartNumberMarker(ctx.query.get('part-number-marker'));
    const after = ctx.storage.meta
      .listParts(upload.uploadId)
      .filter((p) => p.partNumber > marker)
      .sort((a, b) => a.partNumber - b.partNumber);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    const owner = ownerOf(ctx.config);
    const parts = page
      .map((p) =>
        elRaw(
          'Part',
          el('PartNumber', p.partNumber) +
            el('LastModified', p.lastModified) +
            el('ETag', p.etag) +
            el('Size', p.size) +
            (p.checksum ? el(`Checksum${p.checksum.algorithm}`, p.checksum.value) : ''),
        ),
      )
      .join('');
    const xml = xmlDocument(
      'ListPartsResult',
      el('Bucket', upload.bucket) +
        el('Key', upload.key) +
        el('UploadId', upload.uploadId) +
        ownerXml(owner, 'Initiator') +
        ownerXml(owner) +
        el('StorageClass', upload.metadata.storageClass ?? 'STANDARD') +
        el('PartNumberMarker', marker) +
        el('NextPartNumberMarker', truncated ? page[page.length - 1]!.partNumber : undefined) +
        el('MaxParts', maxParts) +
        el('IsTruncated', truncated) +
        el('ChecksumAlgorithm', upload.checksumAlgorithm) +
        parts,
    );
    sendXml(ctx.res, xml);
  },
};

function parsePartNumberMarker(raw: string | null): number {
  if (raw === null || raw === '') return 0;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new S3Error('InvalidArgument', {
      message: 'Provided part-number-marker not an integer or within integer range',
      elements: { ArgumentName: 'part-number-marker', ArgumentValue: raw },
    });
  }
  return Number(raw);
}

// ---- ListMultipartUploads

/**
 *   <ListMultipartUploadsResult xmlns="…"><Bucket/><KeyMarker/><UploadIdMarker/>
 *     [<NextKeyMarker/>][<NextUploadIdMarker/>][<Delimiter/>][<Prefix/>]<MaxUploads/><IsTruncated/>
 *     <Upload><Key/><UploadId/><Initiator/><Owner/><StorageClass/><Initiated/>[<ChecksumAlgorithm/>]</Upload>…
 *     <CommonPrefixes><Prefix/></CommonPrefixes>…[<EncodingType/>]
 *   </ListMultipartUploadsResult>
 */
export const listMultipartUploads: Operation = {
  name: 'ListMultipartUploads',
  access: listingAccess,
  async run(ctx) {
    const bucket = bucketOf(ctx);
    const q = ctx.query;
    const encodingType = parseEncodingType(q);
    const enc = encodingType === 'url' ? urlEncodeKey : (text: string) => text;
    const maxUploads = Math.min(parseMaxCount(q, 'max-uploads') ?? MAX_LIST_KEYS, MAX_LIST_KEYS);
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const keyMarker = q.get('key-marker') ?? '';
    // S3 ignores upload-id-marker without key-marker.
    const uploadIdMarker = keyMarker === '' ? '' : (q.get('upload-id-marker') ?? '');
    requireBucket(ctx);
    const page = ctx.storage.meta.listUploads(bucket, { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads });
    const owner = ownerOf(ctx.config);
    let entries = '';
    for (const u of page.uploads) {
      entries += elRaw(
        'Upload',
        el('Key', enc(u.key)) +
          el('UploadId', u.uploadId) +
          ownerXml(owner, 'Initiator') +
          ownerXml(owner) +
          el('StorageClass', u.metadata.storageClass ?? 'STANDARD') +
          el('Initiated', u.initiated) +
          el('ChecksumAlgorithm', u.checksumAlgorithm),
      );
    }
    for (const p of page.commonPrefixes) entries += elRaw('CommonPrefixes', el('Prefix', enc(p)));
    const xml = xmlDocument(
      'ListMultipartUploadsResult',
      el('Bucket', bucket) +
        el('KeyMarker', enc(keyMarker)) +
        el('UploadIdMarker', uploadIdMarker) +
        el('NextKeyMarker', page.nextKeyMarker === undefined ? undefined : enc(page.nextKeyMarker)) +
        el('NextUploadIdMarker', page.nextUploadIdMarker) +
        el('Delimiter', delimiter === '' ? undefined : enc(delimiter)) +
        el('Prefix', enc(prefix)) +
        el('MaxUploads', maxUploads) +
        el('IsTruncated', page.isTruncated) +
        entries +
        el('EncodingType', encodingType),
    );
    sendXml(ctx.res, xml);
  },
};
