#!/usr/bin/env bash
# Runs every benchmark of the report on this machine, in one sitting, and writes
# bench/results/: JMH JSON (peak-start, gemm/<shape>-<threads>t, scalar, kernels, steps, peak-end), PyTorch JSON
# (pytorch-1-*, pytorch-2-blas-*: one file per workload group and thread setting), report.md (the
# README's tables) and gemm.png. Each group's PyTorch side runs right after jgrad's, so that a
# ratio compares two timings minutes apart, not the JMH part against a PyTorch part half an hour
# later (these VMs change speed by the hour). Called by `./jgrad bench-report` (which builds
# bench/target/benchmarks.jar first); takes about 30-35 minutes on 2 cores.
# Set QUICK=1 for a shorter run (fewer shapes and iterations).
# An argument names another output folder (a second machine's report beside the first's).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$(realpath -m "${1:-$ROOT/bench/results}")"
mkdir -p "$OUT"
source "$ROOT/bench/openblas-env.sh"
# What ran the report, for its first line: the CPU, its widest vector instructions, and the
# OpenBLAS kernels asked for (none: OpenBLAS's own pick for the CPU).
{
  cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  isa="AVX2 + FMA"
  if grep -qw avx512f /proc/cpuinfo; then isa="AVX-512"; fi
  kernels="${OPENBLAS_CORETYPE:-}"
  if [[ -z "$kernels" ]]; then kernels="its own pick for this CPU"; fi
  echo "Machine: $cpu, $(nproc) cores, $isa; OpenBLAS kernels: $kernels."
  echo
} > "$OUT/machine.md"
# The report takes every pytorch-*.json it finds: drop an earlier run's, whatever their names.
rm -f "$OUT"/pytorch-*.json
JAR="$ROOT/bench/target/benchmarks.jar"
SHAPES="64,128,256,512,1024,2048,207,300,702,768x128x384,768x128x128,768x128x512,768x512x128,768x128x65,48x256x64x64"
# Five warmup seconds a GEMM run: with two, session 26's Zen 5 report caught jgrad's 64^3 in a JIT
# phase (measured iterations 6.83, 6.82, 6.88, 4.09, 3.00 us; settled, 2.9-3.0), which a rerun of
# that row repeated; with five, three runs had settled before the first measured second.
ITER=(-wi 5 -i 5 -w 1 -r 1)
if [[ "${QUICK:-0}" == 1 ]]; then
  SHAPES="64,256,512,1024,207,768x128x384,768x128x65,48x256x64x64"
  ITER=(-wi 2 -i 3 -w 1 -r 1)
fi
# The machine's ceiling (a register-only FMA loop) first and last: these VMs change speed by the
# hour, and the report states how fast the machine was while the rows ran.
java -jar "$JAR" "PeakBench" -p when=start -wi 2 -i 5 -w 1 -r 1 -rf json -rff "$OUT/peak-start.json"
# One JMH run per shape and thread count, so jgrad's and OpenBLAS's rows are timed seconds apart
# (JMH runs a benchmark's every parameter before the next benchmark: with all shapes in one run,
# a shape's two rows were ten minutes apart, and the same build read 69% of OpenBLAS at 512^3 in
# one report and 106% in the next). In-JVM alternation showed the VM's slow stretches cost jgrad
# more than OpenBLAS (n = 512, one core: 46-53 against 61-67 GFLOP/s, calm 73-77 against 77-80).
rm -rf "$OUT/gemm" "$OUT/gemm.json"
mkdir -p "$OUT/gemm"
GEMM_FILES=()   # in SHAPES order, which the report's GEMM table keeps
for shape in ${SHAPES//,/ }; do
  for threads in 1 2; do
    GEMM_FILES+=("$OUT/gemm/$shape-${threads}t.json")
    java -jar "$JAR" "GemmBench.(jgrad|openblas|ejml)" -p shape="$shape" -p threads="$threads" "${ITER[@]}" \
        -rf json -rff "${GEMM_FILES[-1]}"
  done
done
PYTORCH_ONLY=gemm PYTORCH_TAG=-gemm bash "$ROOT/bench/pytorch.sh" "$OUT"
# The scalar twin is the oracle, not a contender: small sizes only (n = 512 takes 0.1 s per product).
java -jar "$JAR" "GemmBench.scalarTwin" -p shape=64,128,256,512,207,300 -p threads=1,2 -wi 1 -i 3 -w 1 -r 1 \
    -rf json -rff "$OUT/scalar.json"
# Attention gets ten warmup seconds: its first second runs at 0.25-1 s an operation (the Vector API
# before C2 has compiled it), then a one-thread fork plateaus at 3.4-3.6 ms for several seconds
# more before settling at ~2.2 ms; with two warmup seconds session 21's report read 4.4 ms.
java -jar "$JAR" "KernelBench" -wi 2 -i 4 -w 1 -r 1 -rf json -rff "$OUT/kernels.json"
java -jar "$JAR" "AttentionBench" -wi 10 -i 4 -w 1 -r 1 -rf json -rff "$OUT/attention.json"
PYTORCH_ONLY=kernels PYTORCH_TAG=-kernels bash "$ROOT/bench/pytorch.sh" "$OUT"
# The steps get twelve warmup seconds: after six, the GPT step's four measured iterations still
# fell as C2 compiled (one thread 27.3, 26.0, 24.8, 24.5 ms; two 24.5, 17.7, 15.0, 15.6; session
# 29), and the median of four took the warming ones in.
java -jar "$JAR" "StepBench|GenerateBench" -wi 6 -i 4 -w 2 -r 2 -rf json -rff "$OUT/steps.json"
PYTORCH_ONLY=steps,generate PYTORCH_TAG=-steps bash "$ROOT/bench/pytorch.sh" "$OUT"
java -jar "$JAR" "PeakBench" -p when=end -wi 2 -i 5 -w 1 -r 1 -rf json -rff "$OUT/peak-end.json"
java -cp "$JAR" dev.jgrad.bench.Report "$OUT" "$OUT/peak-start.json" "$OUT/peak-end.json" "${GEMM_FILES[@]}" "$OUT/scalar.json" "$OUT/kernels.json" "$OUT/attention.json" "$OUT/steps.json" \
    --pytorch "$OUT"/pytorch-*.json
