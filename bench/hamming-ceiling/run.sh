#!/usr/bin/env bash
# The batched Hamming scan against the popcount ceiling and memory bandwidth, all on one pinned core (issue 12
# item 2). Two interleaved rounds: ceiling, then the scans at Q = 1, 100, 1000, for N = 10^5..10^7 and 64/256/1024
# bits. Writes CSV/JSON beside this script; summary.py turns them into the RESULTS table.
# Usage: bench/hamming-ceiling/run.sh [rounds]   (L= and B= override the lshk and bench builds)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
L=${L:-$root/src/Cli/bin/Release/net10.0/lshk.dll}
B=${B:-$root/bench/bin/Release/net10.0/Lshk.Bench.dll}
core=${CORE:-0}
rounds=${1:-2}
pin() { taskset -c "$core" dotnet "$@" < /dev/null; }
match() { pin "$L" bench match --device cpu --k 5 --dim 16 --no-cosine --no-asymmetric "$@"; }
for round in $(seq 1 "$rounds"); do
  echo "round $round, $(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)"
  pin "$B" ceiling > "$here/ceiling-$round.csv"
  match --queries 1 --n 100000,1000000,10000000 --planes 64,256,1024 --repeat 5 --memory-bandwidth --json "$here/q1-$round.json"
  match --queries 100 --n 100000,1000000,10000000 --planes 64,256,1024 --repeat 2 --json "$here/q100-$round.json"
  match --queries 1000 --n 100000,1000000 --planes 64,256,1024 --repeat 2 --json "$here/q1000-$round.json"
  # 10^7 codes × 1000 queries at 1024 bits is 10^10 comparisons of 16 words (≈ 2 minutes here): 64 and 256 bits only.
  match --queries 1000 --n 10000000 --planes 64,256 --repeat 1 --json "$here/q1000-10m-$round.json"
  cat "$here/ceiling-$round.csv"
done
