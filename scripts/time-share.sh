#!/usr/bin/env bash
# Where signing and verifying R1 spend their time, in units of SHA-256 compression: sampled by
# `perf` (cpu-clock), each function's samples divided by those of sha2's `compress`.
#
# Both sides compress the same blocks (the canonical request's hash and the HMAC of the string
# to sign, the key coming from a warm cache), so `compress` is a yardstick that a load change
# on this shared host moves along with everything else: "verify total / compress" divided by
# "sign total / compress" is the verify / sign ratio, and it moves by about ±2 % between runs
# where timings move by 10–20 %. It also sees what instruction counts do not: stalls, such as a
# 16-byte load of what was just stored as two 8-byte words.
#
# Usage: scripts/time-share.sh [CALLS] [ROWS]   (needs perf: apt-get install linux-perf)
# CALLS: calls per side (default 4,000,000); ROWS: functions listed (default 25).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 1; }
calls=${1:-4000000}
rows=${2:-25}
cargo build --release -q -p canreq --example sign_verify_loop
bin=${CARGO_TARGET_DIR:-target}/release/examples/sign_verify_loop
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "function<TAB>share of compress" for one side, sorted by function.
shares() {
  perf record -q -e cpu-clock -F 20000 -o "$work/$1.data" "$bin" "$1" "$calls" >/dev/null 2>&1
  perf report -i "$work/$1.data" --no-children --sort symbol --stdio 2>/dev/null |
    awk '/^ *[0-9.]+%/ {
           share = $1; sub(/%/, "", share)
           name = $0; sub(/^ *[0-9.]+% +\[[^]]*\] +/, "", name); sub(/ +- +- *$/, "", name)
           print share "\t" name
         }' |
    awk -F'\t' '{ s[$2] += $1 } $2 ~ /^sha2::sha256::.*::compress$/ { c += $1 }
         END { if (!c) { print "no SHA-256 compression sampled" > "/dev/stderr"; exit 1 }
               for (n in s) printf "%s\t%.3f\n", n, s[n] / c }' |
    sort
}
shares sign >"$work/sign.txt"
shares verify >"$work/verify.txt"
total() { awk -F'\t' '{ t += $2 } END { printf "%.3f", t }' "$1"; }
sign_total=$(total "$work/sign.txt")
verify_total=$(total "$work/verify.txt")
echo "sign: $sign_total compressions' time, verify: $verify_total, verify / sign: $(
  awk -v v="$verify_total" -v s="$sign_total" 'BEGIN { printf "%.3f", v / s }')"
echo
echo "  sign  verify  verify-sign  function"
join -t$'\t' -a1 -a2 -e0 -o 0,1.2,2.2 "$work/sign.txt" "$work/verify.txt" |
  awk -F'\t' '{ d = $3 - $2; printf "%6.3f  %6.3f  %+10.3f  %s\n", $2, $3, d, substr($1, 1, 90) }' |
  sort -k3,3 -g -r | head -n "$rows"
