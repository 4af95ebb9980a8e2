# Sourced by run-all.sh and pytorch.sh, so that both OpenBLAS builds in the report (the
# org.bytedeco jar's behind JMH, Debian's behind PyTorch) run the kernels OpenBLAS itself picks
# for this CPU: the ceiling is OpenBLAS at its best here, not at a setting some shell exported.
# The sessions' machines export OPENBLAS_CORETYPE=Haswell and OPENBLAS_L2_SIZE=512 (harmless on
# the Zen 3 machines, whose own pick is that kernel): on an AMD EPYC Zen 5 guest with AVX-512
# (session 25) that pinned both builds to AVX2 kernels at half their speed (OpenBLAS 1024^3 on
# one core 15.6 ms pinned, 8.1 ms with its own pick, Cooperlake; PyTorch's 1024^3 product 16.1
# against 8.6 ms), which would have flattered jgrad's AVX-512 kernel two to one. To compare
# against particular kernels anyway, name them in BENCH_OPENBLAS_CORETYPE.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
if [[ -n "${BENCH_OPENBLAS_CORETYPE:-}" ]]; then
  export OPENBLAS_CORETYPE="$BENCH_OPENBLAS_CORETYPE"
fi
