#!/usr/bin/env bash
# Installs the peer tools lshk is compared against (Debian 12 "bookworm" packages).
# The peer scripts run with Debian's /usr/bin/python3, not a pyenv/conda python on PATH.
#   python3-numpy          numpy 1.24 (BLAS through the Debian alternatives system)
#   libopenblas0-pthread   OpenBLAS 0.3.21, pthread build (so numpy's GEMM uses OpenBLAS, not reference BLAS)
#   python3-faiss          FAISS 1.7.3 (IndexBinaryFlat for the Hamming comparison)
#   python3-threadpoolctl  reports which BLAS/kernel numpy loaded and sets its thread count
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y \
    python3-numpy python3-faiss libopenblas0-pthread python3-threadpoolctl
# Make OpenBLAS (pthread) the BLAS/LAPACK numpy links against, if another one was chosen.
for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
    cand=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-pthread | head -n1 || true)
    if [ -n "$cand" ]; then $SUDO update-alternatives --set "$alt" "$cand"; fi
done
/usr/bin/python3 -c 'import numpy, faiss; print("numpy", numpy.__version__, "faiss", faiss.__version__)'
