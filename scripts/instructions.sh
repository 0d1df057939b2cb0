#!/usr/bin/env bash
# Instructions per call of signing and of verifying R1 (the suite's get-vanilla), counted by
# valgrind: deterministic where timings on a shared machine are not. Each side runs twice
# (2,000 and 12,000 calls) and the difference is divided by 10,000, so start-up, the key
# derivation and the warm-up cancel out.
# Under valgrind sha2 uses its portable code (no SHA-NI), so SHA-256 counts far more than it
# costs on the hardware; it is the same for both sides (the same blocks are hashed), and the
# difference between the two counts is the verifier's own work minus the signer's.
# Usage: scripts/instructions.sh [BINARY]   (needs valgrind: apt-get install valgrind)
# BINARY: a `sign_verify_loop` built elsewhere (scripts/front_end_floor.sh passes its patched
# build); by default the example is built from this tree. The environment passes through.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
bin=${1:-}
if [[ -z $bin ]]; then
  cargo build --release -q -p canreq --example sign_verify_loop
  bin=${CARGO_TARGET_DIR:-target}/release/examples/sign_verify_loop
fi
count() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 \
    | sed -n 's/.*I *refs: *//p' | tr -d ,
}
declare -A per_call
for mode in sign verify; do
  low=$(count "$mode" 2000)
  high=$(count "$mode" 12000)
  per_call[$mode]=$(( (high - low) / 10000 ))
  echo "$mode: ${per_call[$mode]} instructions per call"
done
echo "verify - sign: $(( per_call[verify] - per_call[sign] )) instructions per call"
