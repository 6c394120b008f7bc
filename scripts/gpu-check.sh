#!/usr/bin/env bash
# One prepared run on a GPU machine that has no .NET (see ../shared/gpu/README.md):
#   here:   ../shared/gpu/stage.sh src/Cli tests    (writes .gpu/, prints a command prefix)
#   device: <prefix> bash scripts/gpu-check.sh       (carry .gpu; everything measured is printed and
#                                                    written under $OUT, or bench/out when OUT is unset)
# Steps: device facts, a checked tiny launch, the GPU kernel tests on CUDA, the matcher benchmark on CUDA,
# and PyTorch's cosine GEMM on the same card for a ratio that means something.
set -u
out=${OUT:-bench/out}
mkdir -p "$out"
lshk() { dotnet .gpu/Cli/lshk.dll "$@"; }
step() { echo; echo "== $*"; }

step "GPU"
nvidia-smi --query-gpu=name,memory.total,compute_cap,clocks.max.sm,clocks.max.memory --format=csv || true
step "libcuda"
ldconfig -p | grep -i 'libcuda\.so' || ls /usr/local/nvidia/lib64 2>/dev/null || true

step "lshk devices --check (a tiny hash + search on every device, compared with the CPU backend)"
lshk devices --check 2>&1 | tee "$out/devices.txt"
if ! grep -q '^cuda: ok' "$out/devices.txt"; then
  echo "CUDA check failed; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"; exit 1
fi

step "GPU kernel tests on the CUDA device (LSHK_TEST_GPU=cuda)"
LSHK_TEST_GPU=cuda timeout 300 dotnet .gpu/tests/Lshk.Tests.dll -namespace 'Lshk.Tests.Gpu' 2>&1 | tail -n 15

step "matcher benchmark on CUDA"
timeout 240 dotnet .gpu/Cli/lshk.dll bench match --device cuda --n 100000,1000000 --planes 64,256 --k 1,5 \
  --queries 1000 --dim 64 --json "$out/bench-match-cuda.json" 2>&1 | tail -n 20

step "PyTorch cosine GEMM + top-k on the same card"
timeout 120 python3 bench/peers/torch_cosine_gpu.py --out "$out/torch-cosine-gpu.json" 2>&1 | tail -n 12
