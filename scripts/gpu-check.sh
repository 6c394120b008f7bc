#!/usr/bin/env bash
# The prepared run on a GPU machine (issue 13). It stops at the first failing step and exits non-zero; every step
# writes what it measured under $OUT as it goes (JSON, CSV, text), so a run cut off by its time limit still reports
# what it reached.
#
#   here:    scripts/gpu-stage.sh                       (publishes lshk and the tests into .gpu/, copies the data
#                                                        into .gpudata/; both ignored by git, both carried)
#   device:  <prefix printed by stage> bash scripts/gpu-check.sh [step ...]
#   dry run: DEVICE=ilgpu-cpu SMALL=1 bash scripts/gpu-check.sh   (the same steps on ILGPU's CPU simulator)
#
# Steps, in priority order (default: all): facts devices tests agree match train-step peers accuracy
#   facts       GPU name, driver, memory, clocks; where libcuda is
#   devices     lshk devices --check: a tiny hash + search on every device against the CPU backend
#   tests       every test with the GPU trait on the device (LSHK_TEST_GPU=cuda), one at a time; a test that opens
#               ILGPU's CPU simulator instead fails (tests/Gpu/TestGpu.cs)
#   agree       lshk train --episodes N on the device and on the CPU backend, eval of both, and embed/hash/search of
#               the same images on both: scripts/gpu_compare.py checks codes and Hamming top-k identical, floats within
#               1e-4 relative, accuracies within their 95 % intervals
#   match       lshk bench match on the device (Hamming, asymmetric, cosine; single-query scans up to N = 10^8)
#   train-step  lshk bench train on the device
#   peers       PyTorch on the same card: cosine GEMM + top-k (fp32, fp16) and a Conv-4 training step with cuDNN
#   accuracy    lshk train on the device for the episodes of a 12-minute CPU run, then its 20-way 1-shot accuracy
# KEEP_GOING=1 runs the later steps after a failure (the exit code still reports it).
set -euo pipefail

out=${RESULTS:-${OUT:+/tmp/gpu-results}}
out=${out:-bench/out/gpu}
device=${DEVICE:-cuda}
app=${APP:-.gpu/app}
keep_going=${KEEP_GOING:-0}
small=${SMALL:-0}
# A fresh results folder (KEEP_RESULTS=1 adds to the last one), so the archive holds this run's files only.
[ "${KEEP_RESULTS:-0}" = 1 ] || rm -rf "$out"
mkdir -p "$out"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(facts devices tests agree match train-step peers accuracy)

# Data: the carried copy (.gpudata) where the shared datasets are not beside the checkout; the tests look for
# ../shared/datasets, so point that at it.
if [ -z "${LSHK_DATA:-}" ]; then
  if [ -d ../shared/datasets ]; then export LSHK_DATA=$(cd ../shared/datasets && pwd)
  else
    export LSHK_DATA=$PWD/.gpudata
    mkdir -p ../shared && ln -sfn "$LSHK_DATA" ../shared/datasets
  fi
fi
work=$(mktemp -d)
cache=$work/cache
lshk() { dotnet "$app/lshk.dll" "$@"; }
python=${PYTHON:-python3}
export out device app small work cache python LSHK_DATA
failed=()
log() { echo "$(date -u +%T) $*" | tee -a "$out/steps.txt"; }

# The device tool brings back at most 8 files from $OUT: the results folder travels as one archive, refreshed after
# every step so a run cut off by its limit still returns what it reached.
pack() { [ -n "${OUT:-}" ] && [ "$out" != "$OUT" ] && mkdir -p "$OUT" && tar czf "$OUT/gpu-results.tar.gz" -C "$out" . || true; }

# Runs one step with a time limit (seconds); records its status and duration.
run_step() {
  local name=$1 limit=$2
  local began=$SECONDS status=0
  log "== $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" bash -c "set -euo pipefail; $(declare -f); step_${name//-/_}" || status=$?
  log "== $name: exit $status after $((SECONDS - began))s"
  pack
  if [ "$status" -ne 0 ]; then
    failed+=("$name")
    [ "$keep_going" = 1 ] || { log "stopping at the first failure (KEEP_GOING=1 runs the rest)"; exit 1; }
  fi
}

step_facts() {
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.sm,clocks.max.sm,clocks.max.memory,power.limit \
      --format=csv | tee "$out/gpu.csv"
  fi
  { ldconfig -p | grep -i 'libcuda\.so' || ls /usr/local/nvidia/lib64 2>/dev/null || true; } | tee "$out/libcuda.txt"
  nproc; free -g | head -2
}

step_devices() {
  lshk devices --check 2>&1 | tee "$out/devices.txt"
  grep -q "^$device: ok" "$out/devices.txt"
}

step_tests() {
  local gpu_env=()
  [ "$device" = cuda ] && gpu_env=(LSHK_TEST_GPU=cuda)
  # One test at a time: the simulator guard is exact then, and kernels are timed alone.
  env "${gpu_env[@]}" "$app/Lshk.Tests" -trait "Device=gpu" -parallelMode none -noColor \
    -xml "$out/gpu-tests.xml" > "$out/gpu-tests.txt" 2>&1 || { tail -n 60 "$out/gpu-tests.txt"; return 1; }
  tail -n 3 "$out/gpu-tests.txt"
}

step_agree() {
  local episodes=300 eval_episodes=1000 shape=() eval_shape=(--ways 5,20)
  [ "$small" = 1 ] && { episodes=2; eval_episodes=3; shape=(--ways 5 --queries 2 --filters 8); eval_shape=(--ways 5 --queries 2); }
  local common=(--data omniglot --episodes "$episodes" --seed 1 --validate-every 0 --summary-episodes 0 --cache-dir "$cache" "${shape[@]}")
  for d in "$device" cpu; do
    local began=$SECONDS
    lshk train "${common[@]}" --device "$d" --out "$work/$d.safetensors" --log "$out/agree-train-$d.csv" 2>&1 | tail -n 3
    echo "{\"device\": \"$d\", \"episodes\": $episodes, \"seconds\": $((SECONDS - began))}" > "$out/agree-train-$d.json"
    lshk eval --model "$work/$d.safetensors" "${eval_shape[@]}" --shots 1 --planes 64,256 --hash gaussian --methods cosine,hamming \
      --episodes "$eval_episodes" --device "$d" --cache-dir "$cache" --json "$out/agree-eval-$d.json" 2>&1 | tail -n 12
  done
  # The same images through the same (CPU-trained) model on both devices; the CPU embeddings hashed on both
  # (identical input, so codes must be identical), and both searches run on both.
  mkdir -p "$work/images"
  $python - "$LSHK_DATA/omniglot/images_evaluation.zip" "$work/images" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = sorted(n for n in z.namelist() if n.endswith(".png"))[::40][:500]
for n in names: z.extract(n, sys.argv[2])
print(len(names), "images")
PY
  for d in cpu "$device"; do
    lshk embed "$work/images" --model "$work/cpu.safetensors" --out "$work/embed-$d.npy" --device "$d" > /dev/null
    lshk hash --embeddings "$work/embed-cpu.npy" --planes 256 --out "$work/codes-$d.npy" --device "$d" > /dev/null
    lshk search --support "$work/codes-cpu.npy" --query "$work/codes-cpu.npy" --k 5 --out "$work/hamming-$d.npy" \
      --scores "$work/hamming-scores-$d.npy" --device "$d" > /dev/null
    lshk search --support "$work/embed-cpu.npy" --query "$work/embed-cpu.npy" --k 5 --out "$work/cosine-$d.npy" \
      --scores "$work/cosine-scores-$d.npy" --device "$d" > /dev/null
  done
  $python scripts/gpu_compare.py "$work" "$out" "$device"
}

step_match() {
  local sizes=(100000 1000000 10000000) big=100000000 batch=1000
  [ "$small" = 1 ] && { sizes=(1000 20000); big=100000; batch=20; }
  # Batched (Q = 1000) and single-query scans of hashed embeddings, with the asymmetric and cosine matchers beside.
  lshk bench match --device "$device" --n "$(IFS=,; echo "${sizes[*]}")" --planes 64,256,1024 --queries "$batch" --k 1,10 \
    --dim 64 --repeat 3 --json "$out/match-q1000.json" 2>&1 | tail -n 40
  lshk bench match --device "$device" --n "$(IFS=,; echo "${sizes[*]}")" --planes 64,256,1024 --queries 1 --k 1,10 \
    --dim 64 --repeat 5 --product-codes --memory-bandwidth false --json "$out/match-q1.json" 2>&1 | tail -n 40
  # N = 10^8: random codes (embedding 10^8 vectors is not the point); 256 bits = 3.2 GB of codes.
  lshk bench match --device "$device" --n "$big" --planes 64,256 --queries 1 --k 1,10 --random-codes --repeat 5 \
    --memory-bandwidth false --json "$out/match-big-q1.json" 2>&1 | tail -n 12
  lshk bench match --device "$device" --n "$big" --planes 256 --queries 100 --k 10 --random-codes --repeat 3 \
    --memory-bandwidth false --json "$out/match-big-q100.json" 2>&1 | tail -n 8
}

step_train_step() {
  local steps=20 warmup=3 shape=()
  [ "$small" = 1 ] && { steps=1; warmup=0; shape=(--batch 20); }
  # Where a training episode's time goes on the device: a trace of a few episodes (each kernel call timed to its end).
  local trace_episodes=10 trace_shape=()
  [ "$small" = 1 ] && { trace_episodes=1; trace_shape=(--ways 5 --queries 2 --filters 8); }
  lshk train --data omniglot --episodes "$trace_episodes" --seed 1 --device "$device" --cache-dir "$cache" "${trace_shape[@]}" \
    --validate-every 0 --summary-episodes 0 --out "$work/trace.safetensors" --trace "$out/train-trace.json" \
    --trace-max-spans 2000 2>&1 | tail -n 2
  for f in 64 128; do
    lshk bench train --device "$device" --filters "$f" --steps "$steps" --warmup "$warmup" "${shape[@]}" --json "$out/train-step-$f.json" 2>&1 | tail -n 4
  done
}

step_peers() {
  [ "$device" = cuda ] || { echo "PyTorch peers need CUDA: skipped on $device"; return 0; }
  $python bench/peers/torch_train_gpu.py --filters 64 128 --out "$out/torch-train.json"
  $python bench/peers/torch_cosine_gpu.py --n 100000 1000000 10000000 100000000 --dim 64 --k 1 10 --queries 1 1000 \
    --dtype float32 float16 --budget-s 120 --out "$out/torch-cosine.json"
}

step_accuracy() {
  # The episode count of session 20's 12-minute CPU run (bench/RESULTS.md), trained on the device.
  local episodes=${ACCURACY_EPISODES:-3709} eval_episodes=1000 shape=() eval_shape=(--ways 5,20)
  [ "$small" = 1 ] && { episodes=2; eval_episodes=3; shape=(--ways 5 --queries 2 --filters 8 --validate-every 0); eval_shape=(--ways 5 --queries 2); }
  local began=$SECONDS
  lshk train --data omniglot --episodes "$episodes" --seed 1 --device "$device" --cache-dir "$cache" "${shape[@]}" \
    --out "$work/accuracy.safetensors" --log "$out/accuracy-train.csv" --summary-episodes 0 2>&1 | tail -n 4
  echo "{\"device\": \"$device\", \"episodes\": $episodes, \"seconds\": $((SECONDS - began))}" > "$out/accuracy-train.json"
  lshk eval --model "$work/accuracy.safetensors" "${eval_shape[@]}" --shots 1 --planes 64,256 --hash gaussian,learned \
    --methods cosine,hamming,asymmetric --fitted-center support \
    --episodes "$eval_episodes" --device "$device" --cache-dir "$cache" --json "$out/accuracy-eval.json" 2>&1 | tail -n 12
}

declare -A limits=([facts]=20 [devices]=60 [tests]=150 [agree]=180 [match]=150 [train-step]=60 [peers]=150 [accuracy]=420)
for s in "${steps[@]}"; do
  [ -n "${limits[$s]:-}" ] || { echo "unknown step '$s' (expected: ${!limits[*]})"; exit 2; }
  run_step "$s" "${STEP_LIMIT:-${limits[$s]}}"
done
rm -rf "$work"
if [ ${#failed[@]} -gt 0 ]; then log "FAILED: ${failed[*]}"; exit 1; fi
log "all steps passed: ${steps[*]}"
