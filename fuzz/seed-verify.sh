#!/usr/bin/env bash
# Seeds the `verify` fuzz target's corpus with the AWS test suite's signed requests, header
# and query form, each behind a control byte (see fuzz_targets/verify.rs): requests the
# verifier accepts, for the fuzzer to mutate from.
# Usage: fuzz/seed-verify.sh [TESTDATA]   (default ../shared/testdata, as .ci/run)
set -euo pipefail
cd "$(dirname "$0")"
suite=${1:-${CANREQ_TESTDATA:-../../shared/testdata}}/aws-sigv4-test-suite/v4-crt
[[ -d $suite ]] || { echo "no test suite at $suite" >&2; exit 1; }
mkdir -p corpus/verify
n=0
for case in "$suite"/*/; do
  name=$(basename "$case")
  for form in header query; do
    file=$case/$form-signed-request.txt
    [[ -f $file ]] || continue
    # Control 0x01: presigned requests sign the body's hash, as the suite's query form does.
    { printf '\x01'; cat "$file"; } > "corpus/verify/$name-$form"
    n=$((n + 1))
  done
done
echo "$n seeds in fuzz/corpus/verify"
