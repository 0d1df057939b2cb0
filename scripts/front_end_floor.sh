#!/usr/bin/env bash
# How much of verifying's cost over signing is the verifier's front end: reading the claim from
# the Authorization header and parsing X-Amz-Date?
#
# Applies scripts/experiments/front-end-floor.patch in a throwaway worktree (never to the tree
# itself). With EXP=1 the patched verifier reuses the claim it read from the first request
# instead of reading each request's Authorization header; EXP=2 also reuses the parsed time.
# Everything else runs as usual: the signed-header pick, the scope, skew, token and payload
# checks, the key lookup, the canonical request, the HMAC, the constant-time compare of the
# signature's hex and the Verified result. Then it times `sign_verify_loop` (R1) for each
# mode against signing, best of seven paired rounds, and counts instructions with
# scripts/instructions.sh when valgrind is installed.
#
# Usage: scripts/front_end_floor.sh [CALLS]   (default 2,000,000 calls per timing)
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-2000000}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
# The committed HEAD is measured, not uncommitted changes.
git worktree add --detach -q "$work/tree" HEAD
git -C "$work/tree" apply "$PWD/scripts/experiments/front-end-floor.patch"
cargo build --release -q -p canreq --example sign_verify_loop \
  --manifest-path "$work/tree/Cargo.toml" --target-dir "${CARGO_TARGET_DIR:-target}/front-end-floor"
bin=${CARGO_TARGET_DIR:-target}/front-end-floor/release/examples/sign_verify_loop

seconds() { # mode exp
  local start end
  start=$(date +%s%N)
  EXP=$2 "$bin" "$1" "$calls" >/dev/null
  end=$(date +%s%N)
  echo $(( (end - start) / 1000 ))
}
best_sign=0
declare -A best
for round in 1 2 3 4 5 6 7; do
  t=$(seconds sign 0)
  (( best_sign == 0 || t < best_sign )) && best_sign=$t
  for exp in 0 1 2; do
    t=$(seconds verify "$exp")
    (( ${best[$exp]:-0} == 0 || t < best[$exp] )) && best[$exp]=$t
  done
done
names=("front end run" "claim reused" "claim and time reused")
printf 'sign: %d ns per call\n' $(( best_sign * 1000 / calls ))
for exp in 0 1 2; do
  printf 'verify, EXP=%d (%s): %d ns per call, %s x sign\n' "$exp" "${names[$exp]}" \
    $(( best[$exp] * 1000 / calls )) "$(awk -v v="${best[$exp]}" -v s="$best_sign" 'BEGIN { printf "%.3f", v / s }')"
done

if command -v valgrind >/dev/null; then
  for exp in 0 1 2; do
    echo "instructions per call, EXP=$exp (${names[$exp]}):"
    EXP=$exp scripts/instructions.sh "$bin" | sed 's/^/  /'
  done
fi
