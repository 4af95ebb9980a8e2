#!/usr/bin/env bash
# PyTorch side of the benchmarks: installs Debian's python3-torch and libopenblas0-pthread when
# missing (without OpenBLAS, torch falls back to the reference BLAS, ~18x slower, which would be
# unfair to it), then runs bench/pytorch_bench.py with Debian's /usr/bin/python3 at each thread
# setting. On 2 cores torch is fastest with its own threads at 1 and OpenBLAS's at 2
# (shared/BENCHMARKING.md); set PYTORCH_BOTH=1 to also run the 2+1 setting (the report keeps the
# faster of the two for every workload). PYTORCH_ONLY picks workload groups (gemm, kernels, steps,
# generate) and PYTORCH_TAG goes into the file names, so run-all.sh can time each group right
# after jgrad's: pytorch-1$TAG.json, pytorch-2-blas$TAG.json.
set -euo pipefail
OUT="${1:-bench/results}"
mkdir -p "$OUT"
HERE="$(cd "$(dirname "$0")" && pwd)"
# (grep without -q: with pipefail, grep -q's early exit gives ldconfig a SIGPIPE and the test fails.)
if ! /usr/bin/python3 -c "import torch" 2>/dev/null || ! ldconfig -p | grep libopenblas >/dev/null; then
  echo "pytorch.sh: installing python3-torch and libopenblas0-pthread" >&2
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread
fi
source "$HERE/openblas-env.sh"
ONLY="${PYTORCH_ONLY:-gemm,kernels,steps,generate}"
TAG="${PYTORCH_TAG:-}"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$HERE/pytorch_bench.py" --threads 1 --only "$ONLY" \
    --out "$OUT/pytorch-1$TAG.json"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2 /usr/bin/python3 "$HERE/pytorch_bench.py" --threads 2 --only "$ONLY" \
    --out "$OUT/pytorch-2-blas$TAG.json"
if [[ "${PYTORCH_BOTH:-0}" == 1 ]]; then
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$HERE/pytorch_bench.py" --threads 2 --only "$ONLY" \
      --out "$OUT/pytorch-2-omp$TAG.json"
fi
