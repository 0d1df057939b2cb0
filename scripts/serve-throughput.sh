#!/usr/bin/env bash
# Measures `canreq serve` throughput on loopback: small signed GETs, keep-alive, with wrk.
# The request is signed once by curl (--aws-sigv4) and replayed; the verifier checks every copy
# in full (a SigV4 endpoint does not track replays within the clock-skew window).
# Usage: scripts/serve-throughput.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p canreq-cli
akid=AKIDEXAMPLE
export CANREQ_SECRET_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
log=$(mktemp)
./target/release/canreq serve --listen 127.0.0.1:0 --access-key "$akid" --quiet 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$log" | head -1)/bucket/object?list-type=2
trace=$(curl -sS -o /dev/null -v --aws-sigv4 "aws:amz:us-east-1:execute-api" \
  --user "$akid:$CANREQ_SECRET_KEY" "$url" 2>&1)
auth=$(printf '%s\n' "$trace" | sed -n 's/^> Authorization: //Ip' | tr -d '\r')
date=$(printf '%s\n' "$trace" | sed -n 's/^> X-Amz-Date: //Ip' | tr -d '\r')
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $auth" -H "X-Amz-Date: $date" "$url")
[ "$status" = 200 ] || { echo "replayed request was not accepted ($status)" >&2; exit 1; }
echo "wrk -t2 -c$connections -d${seconds}s --latency $url (signed GET, keep-alive)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: $auth" -H "X-Amz-Date: $date" "$url"
