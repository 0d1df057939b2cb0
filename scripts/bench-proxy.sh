#!/usr/bin/env bash
# Measures `canreq proxy` (and `canreq gateway`, once it exists) on loopback, against nginx as a
# plain, non-signing reverse proxy to the same upstream (issues 24 and 25).
#
# Small GETs: wrk with the same threads, connections and duration against nginx-as-proxy and
# canreq proxy in turn, ROUNDS times alternating, to one nginx upstream answering `ok`. The two
# proxies and the upstream share the machine's cores, so the ratio is the figure to read.
# Large bodies: one file uploaded through the proxy (curl -T, the proxy signing aws-chunked)
# and directly (`canreq request --chunked -T`, the same signing), both to `canreq serve`, which
# verifies every chunk either way, alternating.
#
# `canreq gateway`, when this canreq has it: its signed GETs join the same rounds, and its large
# verified uploads are measured against the same uploads straight to its upstream.
#
# Usage: scripts/bench-proxy.sh   (env: ROUNDS=3 RUN_SECONDS=10 CONNECTIONS=32 BIG_MIB=256)
# Needs nginx, wrk and curl (Debian: apt-get install nginx-light wrk curl); everything runs on
# 127.0.0.1 and is stopped at the end. Both proxies write an access line per request to a file
# (nginx's combined log, canreq's text lines on stderr); the upstream logs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
seconds=${RUN_SECONDS:-10}
connections=${CONNECTIONS:-32}
big_mib=${BIG_MIB:-256}
for tool in nginx wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install nginx-light wrk curl)" >&2; exit 1; }
done
cargo build --release -q -p canreq-cli
canreq=$PWD/target/release/canreq
export CANREQ_ACCESS_KEY=AKIDEXAMPLE
export CANREQ_SECRET_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something answers HTTP on port $1.
wait_http() {
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  echo "nothing answers on port $1" >&2
  exit 1
}

# start_nginx NAME WORKERS HTTP-BLOCK [ACCESS-LOG]: an nginx of its own (config, pid, temp
# files in $work), its access log off unless named.
start_nginx() {
  local dir=$work/$1
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes $2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${4:-off};
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
  $3
}
EOF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
  pids+=($!)
}

# wrk against URL $1 (more wrk arguments after it): prints "REQUESTS_PER_SECOND P99_MS".
measure() {
  local out
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@")
  awk '
    /Requests\/sec:/ { rps = $2 }
    $1 == "99%" {
      v = $2
      if (v ~ /us$/) { sub(/us$/, "", v); p99 = v / 1000 }
      else if (v ~ /ms$/) { sub(/ms$/, "", v); p99 = v }
      else if (v ~ /s$/) { sub(/s$/, "", v); p99 = v * 1000 }
    }
    END { printf "%.0f %.3f\n", rps, p99 }' <<<"$out"
}

upstream=$(free_port)
start_nginx upstream 1 "server { listen 127.0.0.1:$upstream; location / { return 200 \"ok\"; } }"
nginx_proxy=$(free_port)
start_nginx proxy auto "
  upstream fast { server 127.0.0.1:$upstream; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_proxy;
    location / {
      proxy_pass http://fast;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_buffering off;
    }
  }" "$work/proxy/access.log"
canreq_proxy=$(free_port)
"$canreq" proxy --listen "127.0.0.1:$canreq_proxy" --upstream "http://127.0.0.1:$upstream" \
  --service s3 --region us-east-1 >"$work/proxy.url" 2>"$work/proxy.log" &
pids+=($!)
proxy_pid=$!
wait_http "$upstream"
wait_http "$nginx_proxy"
wait_http "$canreq_proxy"

path=/bucket/key
sides="nginx canreq"
# The gateway (issue 25), when this canreq has it: in front of the same upstream, sent one GET
# (service execute-api: curl 7.88 sends no x-amz-content-sha256, which S3 requires)
# signed once by curl (--aws-sigv4) and replayed by wrk, as scripts/serve-throughput.sh does
# (a SigV4 verifier checks every copy in full). Its flags may need adjusting once it lands.
gateway_headers=()
if "$canreq" gateway --help >/dev/null 2>&1; then
  gateway_port=$(free_port)
  "$canreq" gateway --listen "127.0.0.1:$gateway_port" --upstream "http://127.0.0.1:$upstream" \
    --access-key "$CANREQ_ACCESS_KEY" >"$work/gateway.url" 2>"$work/gateway.log" &
  pids+=($!)
  wait_http "$gateway_port"
  trace=$(curl -sS -o /dev/null -v --aws-sigv4 "aws:amz:us-east-1:execute-api" \
    --user "$CANREQ_ACCESS_KEY:$CANREQ_SECRET_KEY" "http://127.0.0.1:$gateway_port$path" 2>&1)
  while IFS= read -r header; do
    gateway_headers+=(-H "$header")
  done < <(printf '%s\n' "$trace" | sed -n 's/^> \(\(Authorization\|X-Amz-[A-Za-z0-9-]*\): .*\)$/\1/Ip' | tr -d '\r')
  status=$(curl -s -o /dev/null -w '%{http_code}' "${gateway_headers[@]}" "http://127.0.0.1:$gateway_port$path")
  [ "$status" = 200 ] || { echo "the gateway refused the signed GET ($status)" >&2; cat "$work/gateway.log" >&2; exit 1; }
  sides="$sides gateway"
fi

echo "Small GETs: wrk -t2 -c$connections -d${seconds}s --latency, $rounds rounds alternating"
echo "(upstream: nginx return 200 \"ok\" on 127.0.0.1:$upstream; $(nproc) cores shared by all)"
printf '%-6s %-14s %12s %10s\n' round proxy req/s p99-ms
: >"$work/small"
for round in $(seq "$rounds"); do
  for side in $sides; do
    case $side in
      nginx) args=("http://127.0.0.1:$nginx_proxy$path") ;;
      canreq) args=("http://127.0.0.1:$canreq_proxy$path") ;;
      gateway) args=("${gateway_headers[@]}" "http://127.0.0.1:$gateway_port$path") ;;
    esac
    read -r rps p99 < <(measure "${args[@]}")
    printf '%-6s %-14s %12s %10s\n' "$round" "$side" "$rps" "$p99"
    echo "$side $rps $p99" >>"$work/small"
  done
done
awk '
  { if (!($1 in n)) order[++sides] = $1; n[$1]++; rps[$1] += $2; p99[$1, n[$1]] = $3 }
  function median(side,   i, j, t, k, a) {
    k = n[side]
    for (i = 1; i <= k; i++) a[i] = p99[side, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    nr = rps["nginx"] / n["nginx"]; np = median("nginx")
    printf "nginx: mean %.0f req/s, median p99 %.3f ms\n", nr, np
    for (i = 2; i <= sides; i++) {
      s = order[i]; r = rps[s] / n[s]; p = median(s)
      printf "canreq %s: mean %.0f req/s (%.1f %% of nginx, target >= 80 %%), median p99 %.3f ms (%+.3f ms, target <= +1 ms)\n", (s == "canreq" ? "proxy" : s), r, 100 * r / nr, p, p - np
    }
  }' "$work/small"

# Large bodies: to `canreq serve`, which verifies each aws-chunked chunk.
serve_port=$(free_port)
"$canreq" serve --listen "127.0.0.1:$serve_port" --access-key "$CANREQ_ACCESS_KEY" --quiet \
  2>"$work/serve.log" &
pids+=($!)
upload_proxy=$(free_port)
"$canreq" proxy --listen "127.0.0.1:$upload_proxy" --upstream "http://127.0.0.1:$serve_port" \
  --service s3 --region us-east-1 >"$work/upload-proxy.url" 2>"$work/upload-proxy.log" &
pids+=($!)
upload_pid=$!
wait_http "$serve_port"
wait_http "$upload_proxy"
head -c "$((big_mib * 1024 * 1024))" /dev/urandom >"$work/big"

now() { date +%s%N; }
echo
echo "Large bodies: $big_mib MiB PUT, $rounds rounds alternating, to canreq serve (verifying)"
printf '%-6s %-30s %10s\n' round path MiB/s
: >"$work/large"
for round in $(seq "$rounds"); do
  start=$(now)
  status=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Expect:' -T "$work/big" \
    "http://127.0.0.1:$upload_proxy/bucket/big")
  [ "$status" = 200 ] || { echo "upload through the proxy: HTTP $status" >&2; cat "$work/upload-proxy.log" >&2; exit 1; }
  proxy_rate=$(awk -v mib="$big_mib" -v ns="$(($(now) - start))" 'BEGIN { printf "%.1f", mib / (ns / 1e9) }')
  start=$(now)
  "$canreq" request PUT "http://127.0.0.1:$serve_port/bucket/big" --service s3 --region us-east-1 \
    --chunked -T "$work/big" >/dev/null
  direct_rate=$(awk -v mib="$big_mib" -v ns="$(($(now) - start))" 'BEGIN { printf "%.1f", mib / (ns / 1e9) }')
  printf '%-6s %-30s %10s\n' "$round" "curl -T -> canreq proxy" "$proxy_rate" \
    "$round" "canreq request --chunked -T" "$direct_rate"
  echo "$proxy_rate $direct_rate" >>"$work/large"
done
awk '{ p += $1; d += $2; n++ } END {
  printf "mean: through the proxy %.1f MiB/s, direct %.1f MiB/s: %.1f %% (target >= 90 %%)\n", p / n, d / n, 100 * p / d
}' "$work/large"
echo "proxy peak memory (VmHWM): $(awk '/VmHWM/ { print $2, $3 }' "/proc/$upload_pid/status")"

# The gateway's large verified uploads (issue 25): the same client (`canreq request --chunked`)
# through the gateway (verifying each chunk, forwarding the decoded body) and straight to the
# gateway's upstream, an nginx that reads each body whole before answering 200.
if [ -n "${gateway_port:-}" ]; then
  sink=$(free_port)
  start_nginx sink 1 "
    upstream fast_sink { server 127.0.0.1:$upstream; keepalive 4; }
    server {
      listen 127.0.0.1:$sink;
      client_max_body_size 0;
      client_body_buffer_size 1m;
      location / {
        proxy_pass_request_body off;
        proxy_set_header Content-Length \"\";
        proxy_http_version 1.1;
        proxy_set_header Connection \"\";
        proxy_pass http://fast_sink;
      }
    }"
  upload_gateway=$(free_port)
  "$canreq" gateway --listen "127.0.0.1:$upload_gateway" --upstream "http://127.0.0.1:$sink" \
    --access-key "$CANREQ_ACCESS_KEY" >"$work/upload-gateway.url" 2>"$work/upload-gateway.log" &
  pids+=($!)
  upload_gateway_pid=$!
  wait_http "$sink"
  wait_http "$upload_gateway"
  echo
  echo "Large verified uploads: $big_mib MiB PUT, canreq request --chunked, $rounds rounds alternating"
  printf '%-6s %-30s %10s\n' round path MiB/s
  : >"$work/gateway-large"
  for round in $(seq "$rounds"); do
    rates=()
    for port in "$upload_gateway" "$sink"; do
      start=$(now)
      "$canreq" request PUT "http://127.0.0.1:$port/bucket/big" --service s3 --region us-east-1 \
        --chunked -T "$work/big" >/dev/null
      rates+=("$(awk -v mib="$big_mib" -v ns="$(($(now) - start))" 'BEGIN { printf "%.1f", mib / (ns / 1e9) }')")
    done
    printf '%-6s %-30s %10s\n' "$round" "through canreq gateway" "${rates[0]}" \
      "$round" "straight to the upstream" "${rates[1]}"
    echo "${rates[*]}" >>"$work/gateway-large"
  done
  awk '{ g += $1; d += $2; n++ } END {
    printf "mean: through the gateway %.1f MiB/s, direct %.1f MiB/s: %.1f %% (target >= 80 %%)\n", g / n, d / n, 100 * g / d
  }' "$work/gateway-large"
  echo "gateway peak memory (VmHWM): $(awk '/VmHWM/ { print $2, $3 }' "/proc/$upload_gateway_pid/status")"
fi
