/**
 * boto3 (installed on the machine image) at its default settings against a spawned signet:
 * its default CRC32 checksums and signed payloads, multipart uploads through upload_file,
 * error bodies that name the canonical request.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGION, ROOT_KEY, ROOT_SECRET, runPython, startSignet, type SpawnedServer } from '../helpers/spawn-server.ts';

const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0;

const PRELUDE = `
import sys, json, os, hashlib, tempfile
import boto3
from botocore.exceptions import ClientError
endpoint, akid, secret, region = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=akid, aws_secret_access_key=secret, region_name=region)
def out(v): print(json.dumps(v))
`;

describe.skipIf(!hasBoto3)('boto3 (default settings)', () => {
  let s: SpawnedServer;
  const py = (body: string, secret = ROOT_SECRET) => {
    const r = runPython(PRELUDE + body, [s.url, ROOT_KEY, secret, REGION]);
    if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };

  beforeAll(async () => {
    s = await startSignet();
  });
  afterAll(async () => {
    await s.stop();
  });

  it('create_bucket, put_object with metadata, get_object returns the exact bytes and headers', () => {
    const r = py(`
s3.create_bucket(Bucket="boto")
body = bytes(range(256)) * 100
put = s3.put_object(Bucket="boto", Key="a/b c+d=é.bin", Body=body, ContentType="application/x-test",
                    Metadata={"owner": "ci"}, CacheControl="max-age=60", ContentDisposition="attachment")
got = s3.get_object(Bucket="boto", Key="a/b c+d=é.bin")
data = got["Body"].read()
out({"same": data == body, "etag": put["ETag"], "md5": hashlib.md5(body).hexdigest(), "type": got["ContentType"],
     "meta": got["Metadata"], "cc": got["CacheControl"], "cd": got["ContentDisposition"], "len": got["ContentLength"]})
`);
    expect(r.same).toBe(true);
    expect(r.etag).toBe(`"${r.md5}"`);
    expect(r).toMatchObject({ type: 'application/x-test', meta: { owner: 'ci' }, cc: 'max-age=60', cd: 'attachment', len: 25600 });
  });

  it('upload_file of a 12 MiB file goes multipart and downloads byte for byte', () => {
    const r = py(`
from boto3.s3.transfer import TransferConfig
cfg = TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024)
data = os.urandom(12*1024*1024)
d = tempfile.mkdtemp()
src = os.path.join(d, "src"); dst = os.path.join(d, "dst")
open(src, "wb").write(data)
s3.upload_file(src, "boto", "multi/part.bin", Config=cfg)
s3.download_file("boto", "multi/part.bin", dst, Config=cfg)
head = s3.head_object(Bucket="boto", Key="multi/part.bin")
md5s = [hashlib.md5(data[i:i+5*1024*1024]).digest() for i in range(0, len(data), 5*1024*1024)]
expected = '"%s-%d"' % (hashlib.md5(b"".join(md5s)).hexdigest(), len(md5s))
out({"same": open(dst, "rb").read() == data, "etag": head["ETag"], "expected": expected, "len": head["ContentLength"]})
`);
    expect(r.same).toBe(true);
    expect(r.etag).toBe(r.expected);
    expect(r.len).toBe(12 * 1024 * 1024);
  });

  it('list_objects_v2 with a delimiter, then delete_objects', () => {
    const r = py(`
for k in ["x/1", "x/2", "y/1", "z"]:
    s3.put_object(Bucket="boto", Key="l/" + k, Body=k.encode())
page = s3.list_objects_v2(Bucket="boto", Prefix="l/", Delimiter="/")
sub = s3.list_objects_v2(Bucket="boto", Prefix="l/x/")
dele = s3.delete_objects(Bucket="boto", Delete={"Objects": [{"Key": "l/x/1"}, {"Key": "l/x/2"}, {"Key": "l/y/1"}, {"Key": "l/z"}]})
after = s3.list_objects_v2(Bucket="boto", Prefix="l/")
out({"prefixes": [p["Prefix"] for p in page.get("CommonPrefixes", [])], "keys": [o["Key"] for o in page.get("Contents", [])],
     "sub": [o["Key"] for o in sub["Contents"]], "deleted": sorted(d["Key"] for d in dele["Deleted"]), "after": after["KeyCount"]})
`);
    expect(r).toEqual({ prefixes: ['l/x/', 'l/y/'], keys: ['l/z'], sub: ['l/x/1', 'l/x/2'], deleted: ['l/x/1', 'l/x/2', 'l/y/1', 'l/z'], after: 0 });
  });

  it('missing key and missing bucket give NoSuchKey and NoSuchBucket (404)', () => {
    const r = py(`
res = {}
for name, call in [("key", lambda: s3.get_object(Bucket="boto", Key="nope")), ("bucket", lambda: s3.get_object(Bucket="no-such-bucket", Key="k"))]:
    try:
        call(); res[name] = None
    except ClientError as e:
        res[name] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
out(res)
`);
    expect(r).toEqual({ key: ['NoSuchKey', 404], bucket: ['NoSuchBucket', 404] });
  });

  it('a wrong secret: 403 SignatureDoesNotMatch whose body carries the canonical request and string to sign', () => {
    const r = py(
      `
try:
    s3.list_objects_v2(Bucket="boto"); out(None)
except ClientError as e:
    err = e.response["Error"]
    out({"code": err["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
         "creq": err.get("CanonicalRequest", ""), "sts": err.get("StringToSign", ""), "akid": err.get("AWSAccessKeyId")})
`,
      'wrong-secret',
    );
    expect(r.code).toBe('SignatureDoesNotMatch');
    expect(r.status).toBe(403);
    expect(r.akid).toBe(ROOT_KEY);
    expect(r.creq).toMatch(/^GET\n\/boto\n/);
    expect(r.sts).toMatch(/^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/);
  });
});
