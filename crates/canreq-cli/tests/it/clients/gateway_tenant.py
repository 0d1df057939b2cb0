"""A tenant's boto3 uploads through `canreq gateway --sign-upstream` (issue 25): a plain PutObject,
a multipart upload_file and an aws-chunked PutObject with a CRC32 trailer, each read back.
Prints JSON: the SHA-256 of each object by key, for the test to compare with what the
upstream stored."""

import hashlib
import json
import os
import random
import sys
import tempfile

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

BUCKET = "canreq-bucket"


def client(endpoint, cert, checksums):
    config = Config(
        region_name="us-east-1",
        retries={"total_max_attempts": 1, "mode": "standard"},
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        request_checksum_calculation=checksums,
        response_checksum_validation=checksums,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=config, verify=cert)


def main():
    endpoint, cert = sys.argv[1], sys.argv[2]
    rng = random.Random(25)
    objects = {
        "plain.txt": b"a tenant's plain object\n",
        "multipart.bin": rng.randbytes(11 * 1024 * 1024 + 321),
        "chunked-crc32.bin": rng.randbytes(3 * 1024 * 1024 + 17),
    }
    # Checksums only when required: a plain body, its hash declared.
    plain = client(endpoint, cert, "when_required")
    plain.put_object(Bucket=BUCKET, Key="plain.txt", Body=objects["plain.txt"])
    chunked = client(endpoint, cert, "when_supported")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "multipart.bin")
        with open(path, "wb") as f:
            f.write(objects["multipart.bin"])
        config = TransferConfig(
            multipart_threshold=5 * 1024 * 1024,
            multipart_chunksize=5 * 1024 * 1024,
            preferred_transfer_client="classic",
            use_threads=False,
        )
        plain.upload_file(path, BUCKET, "multipart.bin", Config=config)
    # Over TLS botocore sends this aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32.
    chunked.put_object(
        Bucket=BUCKET, Key="chunked-crc32.bin", Body=objects["chunked-crc32.bin"], ChecksumAlgorithm="CRC32"
    )
    for key, data in objects.items():
        got = plain.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        if got != data:
            raise SystemExit(f"{key}: read back {len(got)} bytes, not the {len(data)} written")
    print(json.dumps({key: hashlib.sha256(data).hexdigest() for key, data in objects.items()}))


main()
