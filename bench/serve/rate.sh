#!/bin/sh
# Load test at a fixed request rate, the issue's shape: ~320 classify requests/s from 64 connections (hey, -q per
# connection) and, at the same time, ~16 enrolments/s (5 % of all requests; 4 curl loops, each enrolling a different
# PNG as a new class every ~0.25 s), against a server on the same 2 cores. Latencies are of requests sent at that rate,
# not of a saturated server (run.sh measures that).
#
# usage: bench/serve/rate.sh BENCH_DIR [DURATION=30s]   (BENCH_DIR as for run.sh; needs Debian's hey)
set -eu
dir=$1; duration=${2:-30s}
port=18090
lshk="dotnet src/Cli/bin/Release/net10.0/lshk.dll"
boundary=lshk-bench-boundary
body() { # multipart body with one PNG in field "image"
  printf -- '--%s\r\nContent-Disposition: form-data; name="image"; filename="%s"\r\nContent-Type: image/png\r\n\r\n' "$boundary" "$(basename "$1")"
  cat "$1"; printf -- '\r\n--%s--\r\n' "$boundary"
}
body "$dir/query.png" > "$dir/classify.body"
cp "$dir/index.lshi" "$dir/rate.lshi"
$lshk serve --model "$dir/model.safetensors" --index "$dir/rate.lshi" --port $port --device cpu > "$dir/rate-server.out" 2> "$dir/rate-server.err" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" > /dev/null; do sleep 0.5; done
ct="multipart/form-data; boundary=$boundary"
hey -z 5s -c 16 -m POST -T "$ct" -D "$dir/classify.body" "http://127.0.0.1:$port/v1/classify" > /dev/null   # warm-up
batch() { curl -s "http://127.0.0.1:$port/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
sum0=$(batch lshk_batch_images_sum); count0=$(batch lshk_batch_images_count)
seconds=${duration%s}
: > "$dir/rate-enrol.txt"
loops=""
for loop in 1 2 3 4; do
  ( end=$(( $(date +%s) + seconds )); i=0
    while [ "$(date +%s)" -lt "$end" ]; do
      curl -s -o /dev/null -w "%{http_code} %{time_total}\n" -F "image=@$dir/enrol/$(( (loop * 50 + i) % 200 )).png" \
        "http://127.0.0.1:$port/v1/classes/rate-$loop-$i/examples" >> "$dir/rate-enrol.txt"
      i=$((i + 1)); sleep 0.2
    done ) &
  loops="$loops $!"
done
echo "== classify: 64 connections × 5 requests/s"
hey -z "$duration" -c 64 -q 5 -m POST -T "$ct" -D "$dir/classify.body" "http://127.0.0.1:$port/v1/classify"
wait $loops
echo "== enrol (at the same time): 4 curl loops"
sort -k2 -n "$dir/rate-enrol.txt" | awk -v s="$seconds" '{ t[NR] = $2; c[$1]++ } END {
  printf "%d enrolments (%.1f/s), status:", NR, NR / s; for (k in c) printf " %s×%d", k, c[k]
  printf "; p50 %.1f ms, p99 %.1f ms, slowest %.1f ms\n", 1000 * t[int(NR * 0.5)], 1000 * t[int(NR * 0.99)], 1000 * t[NR] }'
sum1=$(batch lshk_batch_images_sum); count1=$(batch lshk_batch_images_count)
echo "server-side batches: $(awk -v a="$sum0" -v b="$sum1" -v c="$count0" -v d="$count1" \
  'BEGIN { printf "%d images in %d passes, mean batch %.2f images", b - a, d - c, (b - a) / (d - c) }')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "index: $(curl -s "http://127.0.0.1:$port/healthz")"
