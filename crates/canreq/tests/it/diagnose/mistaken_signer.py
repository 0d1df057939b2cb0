"""A SigV4 signer written from AWS's documentation, with known client mistakes switchable.

Reads a JSON request on stdin: method, path, query (raw), headers ([name, value] as sent),
body (text), akid, secret, amz_date, region, service, token (optional), mistakes (names).
Prints the Authorization header value the mistaken client would send. Independent of canreq:
it is how the catalogue's mistakes are produced for real.
"""
import hashlib
import hmac
import json
import sys
from urllib.parse import quote, unquote, unquote_plus

UNRESERVED = "-_.~"


def enc(text, keep_slash=False):
    return quote(text, safe=UNRESERVED + ("/" if keep_slash else ""))


def normalize(path):
    kept = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if kept:
                kept.pop()
            continue
        kept.append(seg)
    out = "/" + "/".join(kept)
    if kept and path.endswith("/"):
        out += "/"
    return out


def canonical_path(req, m):
    path = req["path"]
    if req["s3"]:
        once = enc(unquote(path), keep_slash=True)
        return enc(once, keep_slash=True) if "path-double-encoded" in m else once
    if "path-not-normalized" not in m:
        path = normalize(path)
    if "path-not-encoded" in m:
        return path
    return enc(path, keep_slash=True)


def canonical_query(req, m):
    pairs = []
    for p in filter(None, req["query"].split("&")):
        k, _, v = p.partition("=")
        if "query-not-encoded" in m:
            pairs.append((k, v))
        elif "query-plus-as-space" in m:
            pairs.append((enc(unquote_plus(k)), enc(unquote_plus(v))))
        else:
            pairs.append((enc(unquote(k)), enc(unquote(v))))
    if "query-unsorted" not in m:
        pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def sign(req):
    m = set(req["mistakes"])
    headers = list(req["headers"])
    token = req.get("token")
    sent_list_has_token = False
    if token:
        headers.append(["X-Amz-Security-Token", token])
    names_in_list = []
    lines = {}
    order = []
    for name, value in headers:
        key = name if "header-name-case" in m else name.lower()
        if name.lower() == "x-amz-security-token":
            sent_list_has_token = "token-signed" not in m
            if "token-not-signed" in m:
                continue
        if key.lower() not in [n.lower() for n in order]:
            order.append(key)
        v = value if "header-value-untrimmed" in m else " ".join(value.split())
        lines.setdefault(key.lower(), [key, []])[1].append(v)
        if name.lower() not in names_in_list:
            names_in_list.append(name.lower())
    if "signed-headers-unsorted" not in m:
        order.sort(key=str.lower)
    header_text = "".join(f"{lines[k.lower()][0]}:{','.join(lines[k.lower()][1])}\n" for k in order)
    signed = ";".join(k.lower() for k in order)
    declared = [v for n, v in headers if n.lower() == "x-amz-content-sha256"]
    body = req["body"].encode()
    if declared:
        payload = declared[0]
    elif "payload-empty-hash" in m:
        payload = hashlib.sha256(b"").hexdigest()
    else:
        payload = hashlib.sha256(body).hexdigest()
    if "payload-hex-case" in m:
        payload = payload.upper()
    blank = "" if "canonical-newline" in m else "\n"
    if "host-port" in m:
        header_text = header_text.replace("host:" + req["host"] + "\n", "host:" + req["host"] + ":443\n")
    creq = (
        f"{req['method']}\n{canonical_path(req, m)}\n{canonical_query(req, m)}\n"
        f"{header_text}{blank}{signed}\n{payload}"
    )
    date = req["amz_date"] if "scope-date-format" in m else req["amz_date"][:8]
    region, service = req["region"], req["service"]
    if "region-service-swapped" in m:
        region, service = service, region
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = f"AWS4-HMAC-SHA256\n{req['amz_date']}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"

    def mac(key, msg, hexed=False):
        if "hmac-argument-order" in m:
            key, msg = msg, key
        out = hmac.new(key, msg, hashlib.sha256)
        return out.hexdigest().encode() if hexed else out.digest()

    seed = req["secret"].encode() if "key-not-prefixed" in m else b"AWS4" + req["secret"].encode()
    k = mac(seed, date.encode(), hexed="key-hex-step" in m)
    k = mac(k, region.encode())
    k = mac(k, service.encode())
    k = mac(k, b"aws4_request")
    signature = mac(k, sts.encode()).hex()
    # The list the client sends: the lowercase, sorted list of what the server should sign.
    claimed = sorted(set(names_in_list) | ({"x-amz-security-token"} if token and sent_list_has_token else set()))
    if token and "token-signed" in m:
        claimed = [n for n in claimed if n != "x-amz-security-token"]
    if token and "token-not-signed" in m and "x-amz-security-token" not in claimed:
        claimed = sorted(claimed + ["x-amz-security-token"])
    return (
        f"AWS4-HMAC-SHA256 Credential={req['akid']}/{req['amz_date'][:8]}/{req['region']}/"
        f"{req['service']}/aws4_request, SignedHeaders={';'.join(claimed)}, Signature={signature}"
    )


if __name__ == "__main__":
    print(sign(json.load(sys.stdin)))
