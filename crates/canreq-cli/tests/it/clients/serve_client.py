"""One boto3 call (or one presigned-URL fetch) against `canreq serve`, for serve_clients.rs.

    python serve_client.py SCENARIO ENDPOINT [--tamper KIND] [--verify CERT] [--checksum WHEN]
        [--algorithm ALG] [--size BYTES] [--region REGION] [--skew SECONDS] [--expires SECONDS]

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, which the
test sets. Prints one JSON object: the HTTP status and body the server answered (taken from a
botocore hook before the client parses it, because the server's report is not the service's
real response shape), what the client made of it, and a few facts about what was sent.

--tamper changes one byte of the request after botocore signed it (a `before-send` hook):
`path`, `query:NAME`, `header:NAME`, `body`, or `chunk-data` (a byte of the data inside an
aws-chunked body, never of its framing). For presigned URLs it changes the URL (or the body)
before the fetch.

--algorithm asks for a flexible checksum (PutObject's ChecksumAlgorithm); --size replaces the
small text object with that many pseudo-random bytes. `sent` then also holds the length and
the checksum of the object, computed here with zlib/hashlib, not by botocore.

--mrap addresses the bucket by an S3 Multi-Region Access Point ARN (`MRAP_ARN`): botocore then
signs with SigV4a through the CRT (`X-Amz-Region-Set: *`) for the access point's global host and
ignores `endpoint_url` (it needs the CRT, so --mrap overrides BOTO_DISABLE_CRT, which the tests
set for every other call), so a `before-send` hook sends each request to ENDPOINT instead, keeping
the signed `Host` header (see `redirect`). Tampering comes after the redirect.

--region signs for another region than us-east-1; --skew signs with botocore's clock that many
seconds off; --unsigned sends the call without a signature; --expires is a presigned URL's lifetime. A presigned URL's error answer is parsed
by botocore's parser for the service's protocol, so `client_error` holds the code a botocore
client would raise.

Also loaded by the AWS CLI as a plugin (`[plugins]` in the test's config file, this directory
on PYTHONPATH): `awscli_initialize` registers the same tamper hook, driven by CANREQ_TAMPER.
"""

import argparse
import base64
import hashlib
import json
import os
import random
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib

REGION = "us-east-1"
BUCKET = "canreq-bucket"
KEY = "dir/hello world.txt"
OBJECT = b"hello from boto3 to canreq serve\n"
# An S3 Multi-Region Access Point (the alias form AWS documents: letters and digits, `.mrap`).
MRAP_ARN = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap"


def flip(text, index):
    """`text` with the character at `index` replaced by a different one of the same kind."""
    c = text[index]
    new = "b" if c == "a" else ("1" if c == "0" else ("0" if c.isdigit() else "a"))
    if c.isupper():
        new = "B" if c == "A" else "A"
    return text[:index] + new + text[index + 1 :]


def tamper_url(url, kind):
    parts = urllib.parse.urlsplit(url)
    if kind == "path":
        # The last byte of the path: never the bucket's leading slash.
        path = flip(parts.path, len(parts.path) - 1)
        return urllib.parse.urlunsplit(parts._replace(path=path))
    name = kind.split(":", 1)[1]
    pairs = parts.query.split("&")
    for i, pair in enumerate(pairs):
        if pair.split("=", 1)[0] == name:
            pairs[i] = flip(pair, len(pair) - 1)
            return urllib.parse.urlunsplit(parts._replace(query="&".join(pairs)))
    raise SystemExit(f"no query parameter {name} in {url}")


def tamper_body(body):
    data = read_body(body)
    if not data:
        raise SystemExit("no body to tamper with")
    data = bytearray(data)
    data[len(data) // 2] ^= 0x01
    return bytes(data)


def read_body(body):
    """All bytes of a botocore body: bytes, str, or a stream (AwsChunkedWrapper, a file)."""
    if hasattr(body, "read"):
        return body.read()
    if isinstance(body, str):
        return body.encode()
    return bytes(body or b"")


def tamper_chunk_data(data):
    """`data`, an aws-chunked body, with one byte changed in the data of its middle chunk."""
    chunks = []
    at = 0
    while True:
        line_end = data.index(b"\r\n", at)
        size = int(data[at:line_end].split(b";")[0], 16)
        if size == 0:
            break
        chunks.append((line_end + 2, size))
        at = line_end + 2 + size + 2
    if not chunks:
        raise SystemExit("no data chunk to tamper with")
    start, size = chunks[len(chunks) // 2]
    out = bytearray(data)
    out[start + size // 2] ^= 0x01
    return bytes(out)


def tamper_request(request, kind):
    """Changes one byte of a signed botocore AWSPreparedRequest."""
    if kind == "path" or kind.startswith("query:"):
        request.url = tamper_url(request.url, kind)
    elif kind == "body":
        request.body = tamper_body(request.body)
    elif kind == "chunk-data":
        if "aws-chunked" not in str(request.headers.get("Content-Encoding", "")):
            raise SystemExit("chunk-data: the body is not aws-chunked")
        request.body = tamper_chunk_data(read_body(request.body))
    elif kind.startswith("header:"):
        name = kind.split(":", 1)[1]
        value = request.headers.get(name)
        if value is None:
            raise SystemExit(f"no header {name} to tamper with")
        if isinstance(value, bytes):
            value = value.decode()
        request.headers[name] = flip(value, len(value) - 1)
    else:
        raise SystemExit(f"unknown tamper kind {kind}")


def awscli_initialize(event_hooks):
    """AWS CLI plugin entry: tamper with every request as CANREQ_TAMPER says."""
    kind = os.environ.get("CANREQ_TAMPER")
    if not kind:
        return

    def before_send(request, **_):
        tamper_request(request, kind)

    event_hooks.register("before-send", before_send)


class Capture:
    """What went over the wire. The answer is taken from botocore's history recorder, which
    copies the raw response before any `before-parse` handler runs: botocore's S3 handlers turn
    a 200 whose body is not XML (the server's JSON report) into a 500 there."""

    def __init__(self, tamper, redirect_to=None):
        self.tamper = tamper
        self.redirect_to = redirect_to
        self.status = None
        self.body = None
        self.content_type = None
        self.sent = {}

    def before_send(self, request, **_):
        if self.redirect_to:
            redirect(request, self.redirect_to)
        if self.tamper:
            tamper_request(request, self.tamper)
        headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
        self.sent = {
            "method": request.method,
            "url": request.url,
            "x-amz-content-sha256": headers.get("x-amz-content-sha256"),
            "content-encoding": headers.get("content-encoding"),
            "x-amz-trailer": headers.get("x-amz-trailer"),
            "x-amz-decoded-content-length": headers.get("x-amz-decoded-content-length"),
            "has-security-token": "x-amz-security-token" in headers,
            "signed-headers": headers.get("authorization", "").split("SignedHeaders=")[-1].split(",")[0],
            "algorithm": headers.get("authorization", "").split(" ")[0],
            "x-amz-region-set": headers.get("x-amz-region-set"),
            "host": headers.get("host"),
            "expect": headers.get("expect"),
        }

    def emit(self, event_type, payload, source):
        if event_type != "HTTP_RESPONSE":
            return
        self.status = payload["status_code"]
        body = payload["body"]
        if isinstance(body, (bytes, bytearray)):
            self.body = bytes(body).decode("utf-8", "replace")
            self.content_type = payload["headers"].get("content-type")
        # A streaming 200 (GetObject) is read by the caller from the parsed result.


def redirect(request, endpoint):
    """Sends a signed request to `endpoint` instead of its URL's host, keeping what was signed.

    The CRT signer sets `host` among the request's headers (what it signed), and http.client
    sends a `Host` header given by the caller instead of making one from the URL; so only the
    scheme and address change here. Refuses to go on if the header is missing: the request would
    then carry the endpoint's address as its host and be refused for the wrong reason."""
    if not any(name.lower() == "host" for name in request.headers.keys()):
        raise SystemExit("redirect: the signed request has no Host header to keep")
    target = urllib.parse.urlsplit(endpoint)
    parts = urllib.parse.urlsplit(request.url)
    request.url = urllib.parse.urlunsplit(parts._replace(scheme=target.scheme, netloc=target.netloc))


def skew_clock(seconds):
    """botocore's signers read the time through this function: make it `seconds` off."""
    import datetime

    import botocore.auth

    now = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: now() + datetime.timedelta(seconds=seconds)


def client(service, capture, args):
    import boto3
    from botocore.config import Config

    if args.skew:
        skew_clock(args.skew)
    if args.unsigned:
        from botocore import UNSIGNED
    options = {
        "region_name": args.region,
        "retries": {"total_max_attempts": 1, "mode": "standard"},
        # An access point ARN has its own host; botocore refuses path-style addressing for it.
        "s3": None if args.mrap else {"addressing_style": "path"},
        # For an access point ARN botocore's endpoint rules choose SigV4a; "s3v4" would override them.
        "signature_version": UNSIGNED if args.unsigned else "s3v4" if service == "s3" and not args.mrap else None,
    }
    if args.checksum:
        options["request_checksum_calculation"] = args.checksum
        options["response_checksum_validation"] = args.checksum
    config = Config(**{k: v for k, v in options.items() if v is not None})
    # No profile of the machine: the session sees only the environment the test set.
    session = boto3.session.Session()
    if args.mrap:
        from botocore.compat import HAS_CRT

        if not HAS_CRT:
            raise SystemExit("--mrap: botocore has no CRT (awscrt), so it cannot sign SigV4a")
    c = session.client(
        service,
        endpoint_url=None if args.mrap else args.endpoint,
        config=config,
        verify=args.verify if args.verify else None,
    )
    if capture is not None:
        c.meta.events.register("before-send", capture.before_send)
        from botocore.history import get_global_history_recorder

        recorder = get_global_history_recorder()
        recorder.enable()
        recorder.add_handler(capture)
    return c


def the_object(args):
    """The object to put: the small text, or `--size` pseudo-random bytes (fixed seed)."""
    if args.size is None:
        return OBJECT
    return random.Random(6).randbytes(args.size)


def checksum_of(algorithm, data):
    """S3's base64 checksum value, computed without botocore."""
    if algorithm == "crc32":
        raw = zlib.crc32(data).to_bytes(4, "big")
    else:
        raw = hashlib.new(algorithm, data).digest()
    return base64.b64encode(raw).decode()


def upload_file(c, args, data):
    """boto3's managed upload of a file, kept to one PutObject (below the multipart threshold)."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=1024**3, preferred_transfer_client="classic")
    extra = {"ChecksumAlgorithm": args.algorithm.upper()} if args.algorithm else {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "upload.bin")
        with open(path, "wb") as f:
            f.write(data)
        c.upload_file(path, BUCKET, KEY, ExtraArgs=extra, Config=config)
    return {}


def error_code(e):
    """The AWS error code of a client error, also when boto3 wrapped it (S3UploadFailedError)."""
    while e is not None:
        code = getattr(e, "response", {}).get("Error", {}).get("Code")
        if code:
            return code
        e = e.__cause__ or e.__context__
    return None


def call(args):
    """A client call; the server's answer comes from the hooks, the client's view from the result."""
    capture = Capture(args.tamper, redirect_to=args.endpoint if args.mrap else None)
    bucket = MRAP_ARN if args.mrap else BUCKET
    result = {"client_error": None, "parsed": None}
    data = the_object(args)
    put_extra = {"ChecksumAlgorithm": args.algorithm.upper()} if args.algorithm else {}
    service, op = {
        "iam-list-users": ("iam", lambda c: c.list_users()),
        "ssm-get-parameter": ("ssm", lambda c: c.get_parameter(Name="/canreq/param")),
        "dynamodb-list-tables": ("dynamodb", lambda c: c.list_tables()),
        "sts-get-caller-identity": ("sts", lambda c: c.get_caller_identity()),
        "s3-put": ("s3", lambda c: c.put_object(Bucket=bucket, Key=KEY, Body=data, **put_extra)),
        "s3-upload-file": ("s3", lambda c: upload_file(c, args, data)),
        "s3-get": ("s3", lambda c: c.get_object(Bucket=bucket, Key=KEY)),
        # REST-XML calls that are not object reads, and a Smithy RPC v2 CBOR call.
        "s3-list-buckets": ("s3", lambda c: c.list_buckets()),
        "s3-list-objects": ("s3", lambda c: c.list_objects_v2(Bucket=bucket)),
        "route53-list-hosted-zones": ("route53", lambda c: c.list_hosted_zones()),
        "cloudfront-list-distributions": ("cloudfront", lambda c: c.list_distributions()),
        "lambda-list-functions": ("lambda", lambda c: c.list_functions()),
        "eventbridgev2-list-event-buses": ("eventbridgev2", lambda c: c.list_event_buses()),
    }[args.scenario]
    c = client(service, capture, args)
    try:
        parsed = op(c)
        if "Body" in parsed:
            got = parsed["Body"].read()
            if capture.body is None:
                capture.body = got.decode("utf-8", "replace")
        result["parsed"] = {k: v for k, v in parsed.items() if k not in ("Body", "ResponseMetadata")}
    except Exception as e:  # the server's report is not the real response: parsing may fail
        from botocore.exceptions import ClientError

        result["client_error"] = {
            "type": type(e).__name__,
            "code": error_code(e),
            "message": str(e),
            "is_client_error": isinstance(e, ClientError),
        }
    if args.scenario in ("s3-put", "s3-upload-file"):
        from botocore.httpchecksum import AwsChunkedWrapper

        # botocore's default flexible checksum is CRC32.
        algorithm = (args.algorithm or "crc32").lower()
        capture.sent.update(
            {
                "object-length": len(data),
                "object-checksum": checksum_of(algorithm, data),
                # The data size of botocore's aws-chunked chunks.
                "chunk-size": AwsChunkedWrapper._DEFAULT_CHUNK_SIZE,
            }
        )
    result.update(status=capture.status, body=capture.body, sent=capture.sent, content_type=capture.content_type)
    return result


def presign(args):
    """A presigned URL from boto3, fetched with urllib (no SDK involved in the fetch)."""
    if args.scenario == "sts-presign-get":
        # An EKS-style token: GetCallerIdentity presigned as a GET. botocore signs the empty
        # body's hash here, not UNSIGNED-PAYLOAD (only its S3 presigner does that).
        c = client("sts", None, args)
        url = c.generate_presigned_url("get_caller_identity", ExpiresIn=args.expires, HttpMethod="GET")
        method = "get_object"
    else:
        c = client("s3", None, args)
        method = "get_object" if args.scenario == "s3-presign-get" else "put_object"
        url = c.generate_presigned_url(method, Params={"Bucket": BUCKET, "Key": KEY}, ExpiresIn=args.expires)
    body = None if method == "get_object" else OBJECT
    if args.tamper == "body":
        body = tamper_body(body)
    elif args.tamper:
        url = tamper_url(url, args.tamper)
    request = urllib.request.Request(url, data=body, method="GET" if body is None else "PUT")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    sent = {
        "method": request.get_method(),
        "url": url,
        "has-security-token": "X-Amz-Security-Token" in query,
        "signed-headers": query.get("X-Amz-SignedHeaders", [""])[0],
    }
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, headers, text = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        status, headers, text = e.code, dict(e.headers), e.read()
    client_error = None
    if status >= 300:
        error = parsed_error(c, status, headers, text)
        client_error = {
            "type": "ClientError",
            "code": error.get("Code"),
            "message": error.get("Message"),
            "is_client_error": True,
        }
    return {"status": status, "body": text.decode("utf-8", "replace"), "sent": sent, "client_error": client_error}


def parsed_error(c, status, headers, body):
    """The `Error` botocore's parser for the client's protocol makes of an error answer."""
    from botocore import parsers
    from botocore.compat import HTTPHeaders

    fields = HTTPHeaders()
    for name, value in headers.items():
        fields[name] = value
    parser = parsers.create_parser(c.meta.service_model.metadata["protocol"])
    response = {"status_code": status, "headers": fields, "body": body}
    return parser.parse(response, None).get("Error", {})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario")
    p.add_argument("endpoint")
    p.add_argument("--tamper")
    p.add_argument("--verify")
    p.add_argument("--checksum", choices=["when_required", "when_supported"])
    p.add_argument("--algorithm", choices=["crc32", "sha1", "sha256"])
    p.add_argument("--size", type=int)
    p.add_argument("--region", default=REGION)
    p.add_argument("--skew", type=int, default=0)
    p.add_argument("--expires", type=int, default=300)
    p.add_argument("--unsigned", action="store_true")
    p.add_argument("--mrap", action="store_true")
    args = p.parse_args()
    if args.mrap:
        # Read by botocore.compat when botocore is first imported (below, in `client`).
        os.environ["BOTO_DISABLE_CRT"] = "false"
    run = presign if "-presign-" in args.scenario else call
    json.dump(run(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
