#!/usr/bin/env python3
"""A real S3 implementation on loopback for fsexport's tests: moto's server, with signature
checking on, and a small client (boto3, independent of fsexport's signing) to read back what the
tests wrote.

  s3-store.py serve            starts a server, creates a user, its key and a bucket, turns
                               authentication on, prints one JSON line with the endpoint and the
                               key, and serves until its standard input closes.
  s3-store.py objects          lists the bucket's objects as JSON: key, size, etag, content type.
  s3-store.py get KEY          writes an object's bytes to standard output.
  s3-store.py contents PREFIX  every object under PREFIX/ as JSON: name below it → base64 bytes.
  s3-store.py uploads          lists unfinished multipart uploads as JSON.
  s3-store.py start-upload KEY starts a multipart upload and leaves it, as a killed run would.
  s3-store.py put KEY FILE     writes an object.

The client commands read S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
"""
import json
import os
import sys
import urllib.request

import boto3
from botocore.config import Config


def client(endpoint, key_id, secret, service="s3"):
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}))


def encode_signed_query():
    """moto checks a signature against the query as werkzeug decoded it (`prefix=logs/`), while
    AWS, botocore and fsexport sign it encoded (`prefix=logs%2F`): boto3's own ListMultipartUploads
    with a prefix holding '/' fails against an unpatched moto. Re-encode it as AWS does."""
    from urllib.parse import parse_qsl, quote, urlsplit
    from moto.iam.access_control import S3IAMRequest
    original = S3IAMRequest._create_aws_request

    def create(self):
        parts = urlsplit(self._path)
        if parts.query:
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
            self._path = f"{parts.path}?{query}"
        return original(self)
    S3IAMRequest._create_aws_request = create


def serve():
    from moto.server import ThreadedMotoServer
    encode_signed_query()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    iam = client(endpoint, "bootstrap", "bootstrap", "iam")
    iam.create_user(UserName="fsexport")
    iam.put_user_policy(UserName="fsexport", PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="fsexport")["AccessKey"]
    client(endpoint, "bootstrap", "bootstrap").create_bucket(Bucket="fsexport-test")
    # From here on every request must carry a valid signature by a known key.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"})).read()
    print(json.dumps({"endpoint": endpoint, "bucket": "fsexport-test", "access_key_id": key["AccessKeyId"],
                      "secret_access_key": key["SecretAccessKey"]}), flush=True)
    sys.stdin.read()
    server.stop()


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "serve":
        return serve()
    s3 = client(os.environ["S3_ENDPOINT"], os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    bucket = os.environ["S3_BUCKET"]
    if command == "objects":
        objects = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                head = s3.head_object(Bucket=bucket, Key=item["Key"])
                objects.append({"key": item["Key"], "size": item["Size"], "etag": item["ETag"].strip('"'),
                                "content_type": head.get("ContentType"), "storage_class": head.get("StorageClass", "STANDARD"),
                                "encryption": head.get("ServerSideEncryption")})
        print(json.dumps(objects))
    elif command == "contents":
        import base64
        prefix = sys.argv[2] + "/"
        found = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                found[item["Key"][len(prefix):]] = base64.b64encode(body).decode()
        print(json.dumps(found))
    elif command == "get":
        sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=sys.argv[2])["Body"].read())
    elif command == "uploads":
        listing = s3.list_multipart_uploads(Bucket=bucket)
        print(json.dumps([{"key": u["Key"], "upload_id": u["UploadId"]} for u in listing.get("Uploads", [])]))
    elif command == "start-upload":
        s3.create_multipart_upload(Bucket=bucket, Key=sys.argv[2])
    elif command == "put":
        with open(sys.argv[3], "rb") as f:
            s3.put_object(Bucket=bucket, Key=sys.argv[2], Body=f.read())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
