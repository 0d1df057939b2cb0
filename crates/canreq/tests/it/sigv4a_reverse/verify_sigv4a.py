"""Checks canreq's SigV4a signatures without canreq, for tests/it/sigv4a_reverse.rs.

Reads one JSON case per line on stdin (botocore_sign.py's fields, plus `region_set`,
`signature` (canreq's, DER in hex), `public_key` (canreq's, uncompressed point in hex) and
`flip` (which bit of the signature to change)) and writes one JSON line per case, in order.
For each case, independently of canreq:

- the private key is derived here from the secret, as AWS describes it: NIST SP 800-108's
  HMAC-SHA256 KDF in counter mode keyed with "AWS4A" + secret, over
  [1]_32 || "AWS4-ECDSA-P256-SHA256" || 0x00 || access key id || counter (8 bits) || [256]_32;
  the candidate, read big-endian, is kept when it is at most n - 2 (else the counter goes up),
  and the private scalar is candidate + 1. The public key is that scalar times the base point
  (the `ecdsa` package), in SEC1 uncompressed form;
- the canonical request is botocore's (its SigV4 signer, taught SigV4a's algorithm name,
  region-less scope and `X-Amz-Region-Set`; botocore_sign.py's `sign` records it), and the
  string to sign is written here;
- canreq's signature is checked over that string to sign twice: by the `ecdsa` package (pure
  Python) and by the AWS CRT's ECDSA (`awscrt.crypto.EC`, AWS-LC), with the public key derived
  here; then again with one bit of it changed, which both must refuse.

awscrt 0.38 has no SigV4a verifier in its Python binding (only the C library's tests have one),
so the request side is botocore's and only the curve is the CRT's.
"""

import hashlib
import hmac
import json
import os
import sys
from urllib.parse import quote, urlsplit, urlunsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "botocore_oracle"))

import botocore_sign  # noqa: E402  (the SigV4 oracle's signer, beside this directory)
from awscrt.crypto import EC  # noqa: E402
from botocore.auth import SigV4QueryAuth  # noqa: E402
from ecdsa import NIST256p, BadSignatureError, SigningKey, VerifyingKey  # noqa: E402
from ecdsa.der import UnexpectedDER  # noqa: E402
from ecdsa.util import sigdecode_der  # noqa: E402

ALGORITHM = "AWS4-ECDSA-P256-SHA256"
N = NIST256p.order
# SubjectPublicKeyInfo for a P-256 point: id-ecPublicKey, prime256v1, then the 65-byte point.
SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
ORIGINAL_SIGNERS = dict(botocore_sign.SIGNERS)


def private_scalar(access_key_id, secret):
    key = b"AWS4A" + secret.encode()
    for counter in range(1, 255):
        fixed = (
            (1).to_bytes(4, "big")
            + ALGORITHM.encode()
            + b"\x00"
            + access_key_id.encode()
            + bytes([counter])
            + (256).to_bytes(4, "big")
        )
        candidate = int.from_bytes(hmac.new(key, fixed, hashlib.sha256).digest(), "big")
        if candidate <= N - 2:
            return candidate + 1
    raise ValueError("no candidate below n - 1 up to counter 254")


def sigv4a_signer(cls, region_set):
    """botocore's SigV4 signer `cls`, signing SigV4a's canonical request."""
    query = issubclass(cls, SigV4QueryAuth)

    class SigV4a(cls):
        def credential_scope(self, request):
            # SigV4a's scope has no region: DATE/SERVICE/aws4_request.
            return "/".join([request.context["timestamp"][:8], self._service_name, "aws4_request"])

        def scope(self, request):
            # X-Amz-Credential's value (botocore writes it apart from credential_scope).
            return f"{self.credentials.access_key}/{self.credential_scope(request)}"

        def _modify_request_before_signing(self, request):
            if not query:
                # Signed as any other header (botocore signs all but a few).
                request.headers["X-Amz-Region-Set"] = region_set
            super()._modify_request_before_signing(request)
            if query:
                parts = urlsplit(request.url)
                old = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                if old not in parts.query:
                    raise RuntimeError(f"botocore wrote no {old} in {request.url}")
                q = parts.query.replace(old, "X-Amz-Algorithm=" + ALGORITHM)
                q += "&X-Amz-Region-Set=" + quote(region_set, safe="-_.~")
                request.url = urlunsplit(parts._replace(query=q))

    return SigV4a


def ecdsa_verifies(public, message, der):
    try:
        return public.verify(der, message, hashfunc=hashlib.sha256, sigdecode=sigdecode_der)
    except (BadSignatureError, UnexpectedDER):
        return False


def crt_verifies(crt_key, message, der):
    try:
        return bool(crt_key.verify(hashlib.sha256(message).digest(), der))
    except Exception:  # a malformed DER signature is an error there, not False
        return False


def check(case):
    d = private_scalar(case["access_key"], case["secret_key"])
    point = SigningKey.from_secret_exponent(d, curve=NIST256p).get_verifying_key().to_string("uncompressed")
    public = VerifyingKey.from_string(point, curve=NIST256p)
    crt_key = EC.new_key_from_der_data(SPKI_PREFIX + point)

    botocore_sign.SIGNERS[case["signer"]] = sigv4a_signer(ORIGINAL_SIGNERS[case["signer"]], case["region_set"])
    try:
        signed = botocore_sign.sign(case)
    finally:
        botocore_sign.SIGNERS.update(ORIGINAL_SIGNERS)
    canonical_request = signed["canonical_request"]
    amz_date = case["amz_date"]
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            amz_date,
            f"{amz_date[:8]}/{case['service']}/aws4_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    ).encode()

    der = bytes.fromhex(case["signature"])
    flipped = bytearray(der)
    bit = case["flip"] % (8 * len(der))
    flipped[bit // 8] ^= 1 << (bit % 8)
    flipped = bytes(flipped)
    return {
        "id": case["id"],
        "public_key": point.hex(),
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign.decode(),
        "ecdsa": ecdsa_verifies(public, string_to_sign, der),
        "crt": crt_verifies(crt_key, string_to_sign, der),
        "ecdsa_flipped": ecdsa_verifies(public, string_to_sign, flipped),
        "crt_flipped": crt_verifies(crt_key, string_to_sign, flipped),
        "headers": signed["headers"],
        "url": signed["url"],
    }


def main():
    import awscrt
    import ecdsa

    versions = f"botocore {botocore_sign.botocore.__version__}, ecdsa {ecdsa.__version__}, awscrt {awscrt.__version__}"
    botocore_sign.answer_each_line(check, {"versions": versions})


if __name__ == "__main__":
    main()
