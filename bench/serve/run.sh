#!/bin/sh
# Load test of lshk serve: wrk (2 threads, 64 connections) against a server on the same 2 cores, one 105×105 PNG
# per request. Prints wrk's output and the mean server-side batch size over the run (from /metrics).
#
# usage: bench/serve/run.sh BENCH_DIR classify|mixed [DURATION=30s]
#   BENCH_DIR holds model.safetensors, index.lshi (1000 classes), query.png, enrol/ (see bench/RESULTS.md).
# Runs from the repository root, with lshk built (dotnet build -c Release src/Cli).
set -eu
dir=$1; script=$2; duration=${3:-30s}
port=18089
lshk="dotnet src/Cli/bin/Release/net10.0/lshk.dll"
# A fresh copy of the index: the mixed run enrols into it.
cp "$dir/index.lshi" "$dir/run.lshi"
$lshk serve --model "$dir/model.safetensors" --index "$dir/run.lshi" --port $port --device cpu > "$dir/server.out" 2> "$dir/server.err" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" > /dev/null; do sleep 0.5; done
batch() { curl -s "http://127.0.0.1:$port/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
# Warm-up (JIT, first index search), not measured.
BENCH_DIR=$dir wrk -t2 -c64 -d5s -s bench/serve/classify.lua "http://127.0.0.1:$port" > /dev/null
# CPU time the server process used (user + system clock ticks, /proc/PID/stat fields 14 and 15).
cpu() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
requests() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^http_requests_received_total/ && /v1/ { n += $2 } END { print n }'; }
sum0=$(batch lshk_batch_images_sum); count0=$(batch lshk_batch_images_count); cpu0=$(cpu); req0=$(requests)
BENCH_DIR=$dir wrk -t2 -c64 -d"$duration" --latency -s "bench/serve/$script.lua" "http://127.0.0.1:$port"
sum1=$(batch lshk_batch_images_sum); count1=$(batch lshk_batch_images_count); cpu1=$(cpu); req1=$(requests)
echo "server-side batches: $(awk -v a="$sum0" -v b="$sum1" -v c="$count0" -v d="$count1" \
  'BEGIN { printf "%d images in %d passes, mean batch %.2f images", b - a, d - c, (b - a) / (d - c) }')"
echo "server CPU: $(awk -v a="$cpu0" -v b="$cpu1" -v r0="$req0" -v r1="$req1" -v hz="$(getconf CLK_TCK)" \
  'BEGIN { s = (b - a) / hz; printf "%.1f s for %d requests, %.2f ms per request (%.0f requests/s per fully used core)", s, r1 - r0, 1000 * s / (r1 - r0), (r1 - r0) / s }')"
echo "load average (other engineers' builds share these 2 cores): $(cut -d' ' -f1-3 /proc/loadavg)"
echo "index: $(curl -s "http://127.0.0.1:$port/healthz")"
