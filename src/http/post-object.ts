/**
 * POST Object: a browser upload to `POST /BUCKET` (or `POST /` on BUCKET.localhost), its
 * credentials and policy in form fields (reference s3-auth.md §5, §4; §6.2 rows 12, 20, 34-47).
 *
 *   multipart/form-data ──busboy──▶ fields before `file`   (<= 20 KB with their framing)
 *                                   `file`                 (a file part, or a plain text field)
 *                                   fields after `file`    ignored: never parsed
 *
 *   fields ──verifyPostForm──▶ detect, parse, token, signature, policy (expiry, conditions, coverage)
 *          ──▶ bucket exists ──▶ authorize(token, write bucket/key)
 *   file ──▶ prepareUploadBody (content-length-range, MD5, Content-MD5, x-amz-checksum-*)
 *        ──▶ BlobStore.write ──▶ object row ──▶ answer
 *
 * The file is never held whole beyond its first 64 KiB (a file that ends within them is written
 * in one go, a longer one streams): busboy pauses the request while the file part is not read,
 * so verification happens before a byte of the file reaches disk. Any refusal leaves nothing
 * behind (the blob store removes its temp file when the stream errors), and the rest of the
 * body is discarded, never stored (see discardRest).
 */
import { drainRequest } from './drain.ts';
import { PassThrough, type Readable } from 'node:stream';
import Busboy from 'busboy';
import type { VerificationStep } from '../auth/types.ts';
import { authorize } from '../access/authorize.ts';
import { contentLengthRange } from '../policy/evaluate-policy.ts';
import type { PostPolicy } from '../policy/types.ts';
import { verifyPostForm } from '../policy/verify-post.ts';
import type { BucketRecord, ObjectMetadata, ObjectRecord, StoredChecksum } from '../storage/types.ts';
import { resolveAddress } from './address.ts';
import type { ExpectingRequest } from './app.ts';
import { prepareUploadBody } from './body.ts';
import { checkKeyLength, noSuchBucket } from './operations/common.ts';
import { checksumHeaders, DEFAULT_CONTENT_TYPE, MAX_USER_METADATA_BYTES, storageClassFromHeaders } from './operations/object-metadata.ts';
import type { PostObjectInput } from './post-object-types.ts';
import { S3Error, isS3Error } from './s3-errors.ts';
import { el, xmlDocument } from './xml.ts';

/** [S3-V2FORM]: the fields before the file, boundaries included, may not exceed 20 KB (row 43). */
export const MAX_POST_PRE_DATA_BYTES = 20480;

/**
 * busboy holds a text field whole before handing it over. Fields before the file are refused
 * past 20 KB anyway; the cap matters for a `file` sent as a plain text field (no filename),
 * which is the object's body. signet's own limit, not S3's: a larger text `file` is refused
 * (see textFileTooLarge) and should be sent as a file part instead.
 */
export const MAX_TEXT_FILE_BYTES = 1024 * 1024;

/** Form fields that describe the object (reference §5.5), as PutObject's headers would. */
const STORED_HEADER_FIELDS: Record<string, Exclude<keyof ObjectMetadata, 'userMetadata' | 'checksum' | 'storageClass'>> = {
  'content-type': 'contentType',
  'cache-control': 'cacheControl',
  'content-disposition': 'contentDisposition',
  'content-encoding': 'contentEncoding',
  expires: 'expires',
};

export async function handlePostObject(input: PostObjectInput): Promise<void> {
  const { req, res } = input;
  // The form is the credential: the body must come before anything can be checked.
  if ((req as ExpectingRequest).signetExpectsContinue && !res.headersSent) res.writeContinue();
  const form = readPostForm(req, input.headers['content-type']?.[0] ?? '');
  let answered = false;
  try {
    const head = await form.head;
    const upload = verifyUpload(input, head);
    const stored = await storeUpload(input, upload, head.file!);
    // The fields after `file` are never parsed: the rest of the body is discarded.
    await discardRest(req, form);
    if (!req.complete) res.setHeader('Connection', 'close');
    sendPostResponse(input, upload, stored);
    answered = true;
  } finally {
    if (!answered) await discardRest(req, form);
    form.detach();
    req.resume();
  }
}

/**
 * The fields after `file` are never parsed, and a refused form is never stored: what is left
 * of the body is read and dropped when small, so every client can read the answer (see
 * src/http/drain.ts).
 */
async function discardRest(req: PostObjectInput['req'], form: PostFormReader): Promise<void> {
  form.detach();
  await drainRequest(req, { alreadyRead: form.bytesRead() });
}

// ---- reading the form

interface FilePart {
  stream: Readable;
  /** undefined when `file` came as a plain text field */
  filename?: string;
}

interface FormHead {
  /** The fields before the file: lower-case names, a repeated name's values joined with ','. */
  fields: Map<string, string>;
  file?: FilePart;
  /** File parts before `file` under another name: uploads S3 cannot place (UNVERIFIED, see below). */
  otherFiles: number;
}

interface PostFormReader {
  head: Promise<FormHead>;
  /** Stops parsing: the request is no longer fed to busboy. Idempotent. */
  detach(): void;
  /** Body bytes read from the request so far. */
  bytesRead(): number;
}

/**
 * Parses up to the `file` part (field names are case-insensitive, §5.1) and resolves there,
 * with the file's stream unread. Everything before it is bounded by the 20 KB pre-data rule.
 *
 * Which part is the file: the first part named `file`. busboy sees a part as a file when it
 * has a filename (or is application/octet-stream); a `file` without a filename arrives as a
 * text field and is the body as well (AWS-OBS [LS-SNAP] test_post_object_with_file_as_string).
 * File parts under other names before it are counted: with one of them and a `file` part the
 * form carries two uploads, refused with PostFileCount "2". UNVERIFIED: S3 documents only that
 * the file field is named `file` and that exactly one upload is allowed.
 */
function readPostForm(req: Readable, contentType: string): PostFormReader {
  let busboy: Busboy.Busboy;
  try {
    busboy = Busboy({ headers: { 'content-type': contentType }, limits: { fieldSize: MAX_TEXT_FILE_BYTES }, preservePath: true });
  } catch {
    // No boundary, or a content type busboy cannot read.
    const failed = Promise.reject(new S3Error('MalformedPOSTRequest'));
    failed.catch(() => {});
    return { head: failed, detach() {}, bytesRead: () => 0 };
  }
  const framing = framingBytes(boundaryOf(contentType));
  const fields = new Map<string, string>();
  let otherFiles = 0;
  let preDataBytes = 0;
  let bytesRead = 0;
  const count = (chunk: Buffer) => {
    bytesRead += chunk.length;
  };
  let settled = false;
  let detached = false;
  let file: FilePart | undefined;
  let resolveHead!: (head: FormHead) => void;
  let rejectHead!: (err: S3Error) => void;
  const head = new Promise<FormHead>((resolve, reject) => {
    resolveHead = resolve;
    rejectHead = reject;
  });

  const settle = (found: FilePart | undefined) => {
    if (settled) return;
    settled = true;
    file = found;
    resolveHead({ fields, file: found, otherFiles });
  };
  const fail = (err: S3Error) => {
    if (settled) return;
    settled = true;
    detach();
    rejectHead(err);
  };
  const addPreData = (bytes: number) => {
    preDataBytes += bytes;
    if (preDataBytes > MAX_POST_PRE_DATA_BYTES) fail(preDataTooLarge());
  };
  function detach() {
    if (detached) return;
    detached = true;
    req.unpipe(busboy);
    req.off('data', count);
  }

  busboy.on('field', (name: string | undefined, value: string, info: Busboy.FieldInfo) => {
    if (settled) return;
    const lower = (name ?? '').toLowerCase();
    if (lower === 'file') {
      if (info.valueTruncated) return fail(textFileTooLarge());
      return settle({ stream: bufferStream(Buffer.from(value, 'utf8')) });
    }
    addPreData(framing + Buffer.byteLength(name ?? '') + Buffer.byteLength(value));
    if (info.valueTruncated) return fail(preDataTooLarge());
    if (settled || name === undefined) return;
    const previous = fields.get(lower);
    // [S3-V2FORM]: the policy sees a repeated field as its values joined with ','.
    fields.set(lower, previous === undefined ? value : `${previous},${value}`);
  });

  busboy.on('file', (name: string | undefined, stream: Readable, info: Busboy.FileInfo) => {
    if (settled) {
      stream.resume();
      return;
    }
    if ((name ?? '').toLowerCase() === 'file') return settle({ stream, filename: info.filename });
    otherFiles += 1;
    addPreData(framing + Buffer.byteLength(name ?? '') + Buffer.byteLength(info.filename ?? ''));
    stream.on('data', (chunk: Buffer) => addPreData(chunk.length));
    stream.on('error', () => {});
    stream.resume();
  });

  // An unparseable body before the file. After it, busboy's errors reach the file stream.
  busboy.on('error', () => fail(new S3Error('MalformedPOSTRequest')));
  busboy.on('close', () => settle(undefined));
  req.on('close', () => {
    if ((req as { complete?: boolean }).complete) return;
    const aborted = new S3Error('IncompleteBody');
    if (!settled) fail(aborted);
    else if (file && !file.stream.destroyed) file.stream.destroy(aborted);
  });
  req.on('data', count);
  req.pipe(busboy);
  head.catch(() => {});
  return { head, detach, bytesRead: () => bytesRead };
}

/**
 * A field's share of the pre-data is its name and value plus the framing a browser puts
 * around them; this is the framing's size:
 *
 *   --BOUNDARY\r\n
 *   Content-Disposition: form-data; name="NAME"\r\n
 *   \r\n
 *   VALUE\r\n
 */
function framingBytes(boundary: string): number {
  return Buffer.byteLength(`--${boundary}\r\nContent-Disposition: form-data; name=""\r\n\r\n\r\n`);
}

function boundaryOf(contentType: string): string {
  const m = /boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  return m?.[1] ?? m?.[2] ?? '';
}

function bufferStream(bytes: Buffer): Readable {
  const stream = new PassThrough();
  stream.end(bytes);
  return stream;
}

function preDataTooLarge(): S3Error {
  return new S3Error('MaxPostPreDataLengthExceeded', { elements: { MaxPostPreDataLengthBytes: String(MAX_POST_PRE_DATA_BYTES) } });
}

function textFileTooLarge(): S3Error {
  return new S3Error('EntityTooLarge', {
    message: `signet accepts a "file" sent as a text field (no filename) up to ${MAX_TEXT_FILE_BYTES} bytes; send it as a file part with a filename`,
    elements: { MaxSizeAllowed: String(MAX_TEXT_FILE_BYTES) },
  });
}

// ---- verifying the form

interface VerifiedUpload {
  key: string;
  fields: Map<string, string>;
  policy: PostPolicy;
  metadata: ObjectMetadata;
  steps: VerificationStep[];
}

/**
 * Everything that can be decided before the file's bytes are read, in the order of reference
 * §5.7: the form's credentials and policy, the number of files, the bucket, the token's scope,
 * and the object's metadata.
 */
function verifyUpload(input: PostObjectInput, head: FormHead): VerifiedUpload {
  const { storage, bucket } = input;
  // The bucket's row comes with the token, in one read; nothing yields between the two uses.
  let bucketRecord: BucketRecord | undefined;
  let bucketRead = false;
  const result = verifyPostForm(head.fields, {
    now: input.now,
    region: input.config.region,
    lookupToken: (id) => {
      const read = storage.meta.getTokenAndBucket(id, bucket);
      bucketRecord = read.bucket;
      bucketRead = true;
      return read.token;
    },
    bucket,
    filename: head.file?.filename,
  });
  input.record({ authKind: result.kind, accessKeyId: result.accessKeyId });
  const { steps } = result;
  if (!result.ok) {
    const { failure } = result;
    throw new S3Error(failure.reason, { message: failure.message, elements: failure.elements, steps });
  }
  // The steps go into the log only with a refusal (every throw below carries them), as for
  // other requests: an accepted upload is logged without its trace.
  input.record({ key: result.key });

  const uploads = head.otherFiles + (head.file ? 1 : 0);
  if (!head.file || uploads !== 1) {
    // With no part named `file` the count is 0 (AWS-OBS: react-native-fs#992).
    const count = head.file ? uploads : 0;
    throw new S3Error('PostFileCount', { elements: { ArgumentName: 'file', ArgumentValue: String(count) }, steps });
  }
  if (!(bucketRead ? bucketRecord : storage.meta.getBucket(bucket))) throw withSteps(noSuchBucket(bucket), steps);

  const verdict = authorize(result.token, { action: 'write', bucket, key: result.key });
  steps.push(verdict.step);
  if (!verdict.ok) throw new S3Error('ScopeDenied', { message: verdict.failure.message, elements: verdict.failure.elements, steps });

  try {
    checkKeyLength(result.key);
    return { key: result.key, fields: result.fields, policy: result.policy, metadata: metadataFromFields(result.fields), steps };
  } catch (err) {
    throw withSteps(err, steps);
  }
}

function withSteps(err: unknown, steps: VerificationStep[]): unknown {
  if (isS3Error(err) && !err.steps) err.steps = steps;
  return err;
}

/**
 * Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Expires and x-amz-meta-*
 * fields, after `${filename}` expansion, as PutObject stores the same headers (reference
 * §5.5). With no Content-Type field the object gets binary/octet-stream, whatever the file
 * part's own Content-Type (AWS-OBS [LS-SNAP]). Signing fields never become metadata.
 */
function metadataFromFields(fields: ReadonlyMap<string, string>): ObjectMetadata {
  const metadata: ObjectMetadata = { contentType: DEFAULT_CONTENT_TYPE, userMetadata: {} };
  let userMetadataBytes = 0;
  for (const [name, value] of fields) {
    const stored = Object.hasOwn(STORED_HEADER_FIELDS, name) ? STORED_HEADER_FIELDS[name] : undefined;
    if (stored) {
      metadata[stored] = value;
    } else if (name.startsWith('x-amz-meta-')) {
      const metaName = name.slice('x-amz-meta-'.length);
      metadata.userMetadata[metaName] = value;
      userMetadataBytes += Buffer.byteLength(metaName) + Buffer.byteLength(value);
    }
  }
  if (userMetadataBytes > MAX_USER_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', { elements: { Size: String(userMetadataBytes), MaxSizeAllowed: String(MAX_USER_METADATA_BYTES) } });
  }
  const storageClass = fields.get('x-amz-storage-class');
  if (storageClass !== undefined) metadata.storageClass = storageClassFromHeaders({ 'x-amz-storage-class': [storageClass] });
  return metadata;
}

// ---- storing the file

interface StoredUpload {
  etag: string;
  checksum?: StoredChecksum;
}

async function storeUpload(input: PostObjectInput, upload: VerifiedUpload, file: FilePart): Promise<StoredUpload> {
  const { storage, bucket } = input;
  const { steps } = upload;
  let body: ReturnType<typeof prepareUploadBody>;
  try {
    body = prepareUploadBody(file.stream, {
      payload: { type: 'unsigned' },
      headers: digestFields(upload.fields),
      operation: 'PostObject',
      // Rows 37-38, enforced while the file streams: see BodyChecks in body.ts.
      sizeRange: contentLengthRange(upload.policy),
      // A broken body mid-file (busboy: "Unexpected end of form").
      sourceErrorReason: 'MalformedPOSTRequest',
      steps,
    });
  } catch (err) {
    throw withSteps(err, steps);
  }
  const written = await storage.blobs.write(await body.content, { md5: false });
  const result = body.result();
  const etag = `"${result.md5Hex}"`;
  const metadata: ObjectMetadata = { ...upload.metadata, ...(result.checksum ? { checksum: result.checksum } : {}) };
  const record: ObjectRecord = {
    bucket,
    key: upload.key,
    blobId: written.blobId,
    size: written.size,
    etag,
    lastModified: input.clock.now().toISOString(),
    metadata,
  };
  // The new blob is durable before the row points at it; the replaced one goes once the row
  // is (BlobStore.removeOnceFlushed).
  const { result: outcome, flushed } = storage.meta.commitTransaction(() => storage.meta.putObject(record));
  if (!outcome) {
    await storage.blobs.remove(written.blobId);
    throw withSteps(noSuchBucket(bucket), steps);
  }
  storage.blobs.removeOnceFlushed(flushed, [outcome.replacedBlobId]);
  return { etag, checksum: result.checksum };
}

/** The fields prepareUploadBody reads as headers: Content-MD5 and x-amz-checksum-*. */
function digestFields(fields: ReadonlyMap<string, string>): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of fields) {
    if (name === 'content-md5' || name.startsWith('x-amz-checksum-')) headers[name] = [value];
  }
  return headers;
}

// ---- the answer

/**
 * Reference §5.6:
 *   success_action_redirect (or the legacy `redirect`), an absolute http(s) URL
 *                   303, Location: URL + bucket, key and the quoted etag in its query
 *   success_action_status 200   200, empty
 *   success_action_status 201   201, <PostResponse> with Location, Bucket, Key, ETag
 *   otherwise (204, absent, any other value, an unusable redirect)   204
 * ETag is always sent, and Location: the object's URL (the redirect's for 303), as S3 does.
 */
function sendPostResponse(input: PostObjectInput, upload: VerifiedUpload, stored: StoredUpload): void {
  const { res, bucket } = input;
  const { key, fields } = upload;
  const headers: Record<string, string> = { ETag: stored.etag, ...checksumHeaders(stored.checksum) };
  const redirect = redirectTarget(fields.get('success_action_redirect') || fields.get('redirect'), bucket, key, stored.etag);
  if (redirect) {
    send(res, 303, { ...headers, Location: redirect });
    return;
  }
  const location = objectUrl(input, key);
  headers.Location = location;
  const status = fields.get('success_action_status');
  if (status === '200') {
    send(res, 200, headers);
  } else if (status === '201') {
    const xml = xmlDocument('PostResponse', el('Location', location) + el('Bucket', bucket) + el('Key', key) + el('ETag', stored.etag), { namespace: false });
    send(res, 201, { ...headers, 'Content-Type': 'application/xml' }, xml);
  } else {
    send(res, 204, headers);
  }
}

function send(res: PostObjectInput['res'], status: number, headers: Record<string, string>, body?: string): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (status !== 204) res.setHeader('Content-Length', body === undefined ? 0 : Buffer.byteLength(body));
  res.end(body);
}

/**
 * The redirect URL with `bucket`, `key` and `etag` added to its query (s3-tests
 * test_post_object_success_redirect_action: `?bucket=B&key=K&etag=%22…%22`). A URL that already
 * has a query gets them after '&' (UNVERIFIED). A value S3 cannot read as an absolute URL is
 * ignored, as if absent (AWS-OBS: a relative one gave 204).
 */
export function redirectTarget(value: string | undefined, bucket: string, key: string, etag: string): string | undefined {
  if (!value) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  // The parsed form: percent-encoded, tabs and newlines gone, so it is always a valid header.
  const hash = parsed.href.indexOf('#');
  const base = hash === -1 ? parsed.href : parsed.href.slice(0, hash);
  const fragment = hash === -1 ? '' : parsed.href.slice(hash);
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  const query = `bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}&etag=${encodeURIComponent(etag)}`;
  return `${base}${separator}${query}${fragment}`;
}

/**
 * The object's URL as the client addressed the bucket: http://HOST/BUCKET/KEY path-style,
 * http://BUCKET.localhost:PORT/KEY virtual-hosted. The key is encoded whole, '/' included
 * (AWS-OBS: `uploads%2F…` in a PostResponse capture).
 */
function objectUrl(input: PostObjectInput, key: string): string {
  const host = input.headers.host?.[0] ?? `${input.config.host}:${input.config.port}`;
  const virtual = resolveAddress(host, '/').style === 'virtual';
  const path = virtual ? `/${encodeURIComponent(key)}` : `/${encodeURIComponent(input.bucket)}/${encodeURIComponent(key)}`;
  return `${input.req.protocol ?? 'http'}://${host}${path}`;
}
