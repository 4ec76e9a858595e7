"""Can the S3 store itself hold a key? Asked with boto3, the AWS SDK for Python: an
independent SigV4 signer and key encoder, so a key it handles but spinlift does not is our bug.

argv:   endpoint bucket access_key secret_key
stdin:  one JSON pair per line: the key, and the key to copy it to
stdout: one line per key, "true" or "false": whether the store took the key through the same
        steps spinlift's test runs (PUT, GET byte for byte, HEAD, listed under its own prefix,
        COPY, DELETE both, then 404). Keys are probed one at a time, just before spinlift runs
        the same key, so both meet the store in the same state.
"""
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.handlers import decode_list_object_v2, set_list_objects_encoding_type_url


def handles(s3, bucket, key, copy):
    body = ("the object called %r" % key).encode("utf-8")
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        if s3.get_object(Bucket=bucket, Key=key)["Body"].read() != body:
            return False
        s3.head_object(Bucket=bucket, Key=key)
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
        if not any(item["Key"] == key for item in listed):
            return False
        s3.copy_object(Bucket=bucket, Key=copy, CopySource={"Bucket": bucket, "Key": key})
        if s3.get_object(Bucket=bucket, Key=copy)["Body"].read() != body:
            return False
        s3.delete_object(Bucket=bucket, Key=key)
        s3.delete_object(Bucket=bucket, Key=copy)
        try:
            s3.get_object(Bucket=bucket, Key=key)
            return False
        except ClientError as err:
            return err.response["Error"]["Code"] == "NoSuchKey"
    except Exception:  # the store refused the key: that is the answer we want
        return False


def main():
    endpoint, bucket, access_key, secret_key = sys.argv[1:5]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 1},
        ),
    )
    # botocore asks for encoding-type=url on every listing and url-decodes the keys it gets back;
    # s3s-fs answers raw keys, so that decoding would turn `+` into a space and `%20` into one.
    # Ask for raw keys, as spinlift does.
    s3.meta.events.unregister("before-parameter-build.s3.ListObjectsV2", set_list_objects_encoding_type_url)
    s3.meta.events.unregister("after-call.s3.ListObjectsV2", decode_list_object_v2)
    for line in sys.stdin:
        key, copy = json.loads(line)
        print("true" if handles(s3, bucket, key, copy) else "false", flush=True)


main()
