"""Signs requests with botocore, for tests/it/botocore_oracle.rs.

Reads one JSON case per line on stdin and writes one JSON line per case on stdout, in order:
what botocore's own signer computed (canonical request, string to sign, signature) and the
request as botocore leaves it (headers, URL). The Rust side decides what agrees; this script
only signs, so that a mismatch is botocore's word against canreq's, with nothing in between.

Case fields: id, signer (SigV4Auth | S3SigV4Auth | SigV4QueryAuth | S3SigV4QueryAuth), method,
host, target, params ([[key, value], ...] decoded, or null), headers ([[name, value], ...], repeats allowed), body_hex (or null), payload
(hashed | unsigned | trailer), access_key, secret_key, token (or null), service, region,
amz_date (YYYYMMDDTHHMMSSZ), expires.
"""

import datetime
import json
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

SIGNERS = {
    "SigV4Auth": SigV4Auth,
    "S3SigV4Auth": S3SigV4Auth,
    "SigV4QueryAuth": SigV4QueryAuth,
    "S3SigV4QueryAuth": S3SigV4QueryAuth,
}

# add_auth reads the clock through this name (botocore.compat's function, imported into
# botocore.auth). If a botocore release reads it some other way, patching would silently leave
# the real clock in place, so refuse to run instead.
if not hasattr(botocore.auth, "get_current_datetime"):
    sys.exit(
        f"botocore {botocore.__version__}: botocore.auth.get_current_datetime is gone; "
        "update the clock patch in this script"
    )

# The signing time of the case being signed.
_now = [None]


def _frozen_now(remove_tzinfo=True):
    if remove_tzinfo:
        return _now[0]
    return _now[0].replace(tzinfo=datetime.timezone.utc)


def sign(case):
    _now[0] = datetime.datetime.strptime(case["amz_date"], "%Y%m%dT%H%M%SZ")
    cls = SIGNERS[case["signer"]]
    creds = Credentials(case["access_key"], case["secret_key"], case["token"])
    # issubclass, not identity: sigv4a_reverse/verify_sigv4a.py passes subclasses of these.
    if issubclass(cls, SigV4QueryAuth):
        auth = cls(creds, case["service"], case["region"], expires=case["expires"])
    else:
        auth = cls(creds, case["service"], case["region"])

    body = bytes.fromhex(case["body_hex"]) if case["body_hex"] is not None else None
    target = case["target"]
    params = None
    if case["params"] is not None:
        # As botocore's serializers pass them: decoded, beside a URL without a query.
        target = target.split("?", 1)[0]
        params = [(k, v) for k, v in case["params"]]
    request = AWSRequest(
        method=case["method"], url="https://" + case["host"] + target, data=body, params=params
    )
    # One by one: HTTPHeaders appends, so repeated names stay repeated and in order.
    for name, value in case["headers"]:
        request.headers[name] = value

    # botocore's own switches for the payload hash line.
    if case["payload"] == "unsigned":
        if issubclass(cls, S3SigV4Auth):
            request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
        else:
            request.context["payload_signing_enabled"] = False
    elif case["payload"] == "trailer":
        request.context["checksum"] = {
            "request_algorithm": {"in": "trailer", "name": "x-amz-checksum-crc32"}
        }

    # Record the steps add_auth computes, from the calls add_auth itself makes.
    seen = {}
    canonical_request = auth.canonical_request
    string_to_sign = auth.string_to_sign

    def record_cr(req):
        seen["canonical_request"] = canonical_request(req)
        return seen["canonical_request"]

    def record_sts(req, cr):
        seen["string_to_sign"] = string_to_sign(req, cr)
        return seen["string_to_sign"]

    auth.canonical_request = record_cr
    auth.string_to_sign = record_sts
    with mock.patch("botocore.auth.get_current_datetime", _frozen_now):
        auth.add_auth(request)
    if request.context["timestamp"] != case["amz_date"]:
        raise RuntimeError(f"clock not frozen: signed at {request.context['timestamp']}")

    # The signature again, from botocore's public steps, so a recording gone wrong shows.
    signature = auth.signature(seen["string_to_sign"], request)
    return {
        "id": case["id"],
        "canonical_request": seen["canonical_request"],
        "string_to_sign": seen["string_to_sign"],
        "signature": signature,
        "headers": [[n, v] for n, v in request.headers.items()],
        "url": request.url,
    }


def answer_each_line(handle, stamp):
    """One JSON case per line of stdin to `handle`, its answer (with the fields of `stamp`, or
    the error it raised) as one JSON line on stdout, in order. Also used by
    sigv4a_reverse/verify_sigv4a.py."""
    sys.stdout.reconfigure(encoding="utf-8")
    sys.stdin.reconfigure(encoding="utf-8")
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            out = handle(case)
        except Exception as e:  # reported per case by the Rust side
            out = {"id": case["id"], "error": f"{type(e).__name__}: {e}"}
        out.update(stamp)
        sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


def main():
    answer_each_line(sign, {"botocore": botocore.__version__})


if __name__ == "__main__":
    main()
