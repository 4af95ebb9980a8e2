#!/usr/bin/env bash
# Shows the machine code HotSpot's C2 makes of the methods matching PATTERN while COMMAND runs
# (any java command, JMH's forks included: the options travel in JAVA_TOOL_OPTIONS). Builds a
# small disassembler plug-in (bench/hsdis/hsdis.c, on Debian's libcapstone-dev, installed when
# missing) into bench/target/hsdis on first use. Look for vector registers stored to and loaded
# from the stack ("ymmword ptr [rsp + ...]") inside a kernel's loop: a spilled accumulator
# (session 13: the 6 x 16 AVX2 GEMM tile ran at half speed because of one).
#
#   bench/disasm.sh 'dev.jgrad.tensor.cpu.GemmMicroKernels::micro5r' \
#       java -jar bench/target/benchmarks.jar GemmBench.jgrad -p shape=512 -p threads=1 -f 1 -wi 2 -i 1
#
# The output is long (every compilation of the method, C1's included); the last "(c2)" block
# without a "%" (not an on-stack replacement) is the code that runs in steady state.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: bench/disasm.sh 'package.Class::method' command [args...]" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LIB="$ROOT/bench/target/hsdis"
if [[ ! -f "$LIB/hsdis-amd64.so" ]]; then
  if [[ ! -f /usr/include/capstone/capstone.h ]]; then
    echo "disasm.sh: installing libcapstone-dev" >&2
    SUDO=""
    if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libcapstone-dev
  fi
  mkdir -p "$LIB"
  gcc -O2 -shared -fPIC -o "$LIB/hsdis-amd64.so" "$ROOT/bench/hsdis/hsdis.c" -lcapstone
fi
PATTERN="$1"
shift
export LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export JAVA_TOOL_OPTIONS="-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=quiet -XX:CompileCommand=print,$PATTERN ${JAVA_TOOL_OPTIONS:-}"
exec "$@"
