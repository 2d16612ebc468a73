"""Signs S3 requests with botocore's own SigV2 signers and prints them as JSON, for
test/unit/sigv2/boto3.test.ts. Nothing is sent: presigned URLs are only generated, and the
header-signed client calls are captured by a 'before-send' hook that answers them locally.

The clock is pinned so the output is the same on every run: time.time() for HmacV1QueryAuth's
Expires, and the Date header HmacV1Auth writes (it always replaces Date with "now").

Output: {"botocore": version, "cases": [{name, auth, method, url, headers: [[name, value]...],
stringToSign}]}; stringToSign is what botocore logged while signing.
"""
import json
import logging
import sys
from unittest import mock

import boto3
import botocore
from botocore.auth import HmacV1Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.config import Config
from botocore.credentials import Credentials

ACCESS_KEY = sys.argv[1]
SECRET_KEY = sys.argv[2]
FIXED_EPOCH = int(sys.argv[3])
FIXED_DATE = sys.argv[4]


class StringToSignLog(logging.Handler):
    """botocore logs 'StringToSign:\\n%s' at DEBUG while signing SigV2."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.strings = []

    def emit(self, record):
        if record.msg.startswith('StringToSign'):
            self.strings.append(record.args[0])


log = StringToSignLog()
auth_logger = logging.getLogger('botocore.auth')
auth_logger.setLevel(logging.DEBUG)
auth_logger.addHandler(log)
auth_logger.propagate = False

cases = []


def client(endpoint, addressing_style=None):
    s3 = {'addressing_style': addressing_style} if addressing_style else None
    return boto3.client(
        's3',
        endpoint_url=endpoint,
        region_name='us-east-1',
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version='s3', s3=s3),
    )


def presign(name, c, operation, params, method, expires_in):
    url = c.generate_presigned_url(operation, Params=params, ExpiresIn=expires_in)
    cases.append({'name': name, 'auth': 'query', 'method': method, 'url': url, 'headers': [],
                  'stringToSign': log.strings.pop()})


class EmptyBody:
    def stream(self, **kwargs):
        return iter([b''])


def capture(name):
    def before_send(request, **kwargs):
        headers = [[k, v.decode() if isinstance(v, bytes) else v] for k, v in request.headers.items()]
        cases.append({'name': name, 'auth': 'header', 'method': request.method, 'url': request.url,
                      'headers': headers, 'stringToSign': log.strings.pop()})
        return AWSResponse(request.url, 200, {}, EmptyBody())
    return before_send


class FixedDateHmacV1Auth(HmacV1Auth):
    def _get_date(self):
        return FIXED_DATE


with mock.patch('botocore.auth.time.time', return_value=FIXED_EPOCH):
    path_style = client('http://127.0.0.1:9000')
    presign('presigned GET, unicode key with spaces and +, ResponseContentDisposition', path_style, 'get_object',
            {'Bucket': 'bkt', 'Key': 'photos/a b ü+€.txt',
             'ResponseContentDisposition': 'attachment; filename="a b+c.txt"'}, 'GET', 600)
    presign('presigned PUT with ContentType, Metadata and ACL', path_style, 'put_object',
            {'Bucket': 'bkt', 'Key': 'up load+1.txt', 'ContentType': 'text/plain',
             'Metadata': {'Reviewed-By': 'joe'}, 'ACL': 'public-read'}, 'PUT', 3600)
    presign('presigned ListObjects of a path-style bucket', path_style, 'list_objects',
            {'Bucket': 'bkt', 'Prefix': 'a/'}, 'GET', 600)
    presign('presigned UploadPart (uploadId and partNumber sub-resources)', path_style, 'upload_part',
            {'Bucket': 'bkt', 'Key': 'big.bin', 'UploadId': 'u/1=2+3', 'PartNumber': 3}, 'PUT', 600)
    presign('presigned GetObjectAcl with versionId', path_style, 'get_object_acl',
            {'Bucket': 'bkt', 'Key': 'k', 'VersionId': 'v1'}, 'GET', 600)
    presign('presigned ListBuckets', path_style, 'list_buckets', {}, 'GET', 600)
    session = boto3.client('s3', endpoint_url='http://127.0.0.1:9000', region_name='us-east-1',
                           aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                           aws_session_token='FQoGZXIvYXdzEXAMPLE', config=Config(signature_version='s3'))
    presign('presigned GET with STS credentials (x-amz-security-token)', session, 'get_object',
            {'Bucket': 'bkt', 'Key': 'k'}, 'GET', 600)
    virtual = client('http://localhost:9000', 'virtual')
    presign('presigned GET, virtual-hosted', virtual, 'get_object',
            {'Bucket': 'bkt', 'Key': 'dir/x y.txt', 'ResponseContentType': 'text/csv'}, 'GET', 600)

request = AWSRequest(method='PUT', url='http://127.0.0.1:9000/bkt/a%20b/%C3%BC%2Bx.txt?acl',
                     headers={'Content-Type': 'text/plain', 'Content-MD5': 'XUFAKrxLKna5cZ2REBfFkg==',
                              'X-Amz-Meta-Reviewed-By': 'joe@example.com', 'x-amz-acl': 'private'})
request.headers['X-Amz-Meta-Reviewed-By'] = 'jane@example.com'  # HTTPHeaders appends: a repeated header
FixedDateHmacV1Auth(Credentials(ACCESS_KEY, SECRET_KEY)).add_auth(request)
cases.append({'name': 'HmacV1Auth on an AWSRequest: repeated x-amz-meta, Content-MD5, ?acl', 'auth': 'header',
              'method': request.method, 'url': request.url,
              'headers': [[k, v] for k, v in request.headers.items()], 'stringToSign': log.strings.pop()})

with mock.patch('botocore.auth.formatdate', return_value=FIXED_DATE):
    c = client('http://127.0.0.1:9000')
    c.meta.events.register('before-send.s3.PutObject', capture('client PutObject, path-style'))
    c.put_object(Bucket='bkt', Key='a b/ü+x.txt', Body=b'hello', ContentType='text/plain',
                 Metadata={'Foo': 'Bar'})
    c = client('http://localhost:9000', 'virtual')
    c.meta.events.register('before-send.s3.ListObjects', capture('client ListObjects, virtual-hosted'))
    c.list_objects(Bucket='bkt')

json.dump({'botocore': botocore.__version__, 'cases': cases}, sys.stdout)
