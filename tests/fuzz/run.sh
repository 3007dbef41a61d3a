#!/usr/bin/env bash
# Coverage-guided fuzzing of one parser with AFL++ and SharpFuzz (docs/development.md, "Fuzzing").
#
#   tests/fuzz/run.sh TARGET [EXECUTIONS]     TARGET: batch-reader, batch-check, nmea or mqtt
#
# Builds the harness (tests/fuzz/Convoy.Fuzz), instruments the assemblies that hold the parsers
# (Convoy.Contracts, Convoy.EdgeAgent) with the sharpfuzz tool from the repository's tool manifest,
# and runs afl-fuzz, niced, on the target's kept corpus (tests/fuzz/corpus/TARGET) until about
# EXECUTIONS inputs (default 1000000) have run. Findings go to tests/fuzz/out/TARGET (not kept in
# git); at the end it prints afl-fuzz's figures, copies every crash and hang into the corpus as
# crash-*/hang-* (each then a regression test, tests/EdgeAgent.Tests/Fuzz) and exits 1 if there
# was any. Needs afl++ (apt-get install afl++); nothing in CI runs it.
set -euo pipefail

target="${1:?usage: tests/fuzz/run.sh TARGET [EXECUTIONS]}"
executions="${2:-1000000}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tests/fuzz"
corpus="$here/corpus/$target"
publish="$here/out/publish"
findings="$here/out/$target"

[ -d "$corpus" ] || { echo "no corpus for target '$target' in $corpus" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }

# A fresh copy of the build each time: sharpfuzz refuses to instrument an assembly twice, and the
# build's own output stays uninstrumented. (Built, not published: the agent's project publishes
# NativeAOT, which a framework-dependent harness cannot reference.)
rm -rf "$publish"; mkdir -p "$here/out"
dotnet build "$here/Convoy.Fuzz/Convoy.Fuzz.csproj" -c Release --nologo -v quiet
cp -r "$here/Convoy.Fuzz/bin/Release/net10.0" "$publish"
dotnet tool restore --tool-manifest "$root/dotnet-tools.json" >/dev/null
for assembly in Convoy.Contracts Convoy.EdgeAgent; do
  dotnet tool run sharpfuzz "$publish/$assembly.dll"
done

# dotnet itself is not instrumented (SharpFuzz reports coverage from the instrumented assemblies),
# so afl-fuzz's binary check is skipped. A container's CPU governor and core dump settings are
# not ours to change: the two AFL_* that accept them. 10 s per input allows for the runtime's
# start and the first calls' JIT; a real hang of a parser shows up far past that.
rm -rf "$findings"
mkdir -p "$findings"
AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
  nice -n 19 afl-fuzz -i "$corpus" -o "$findings" -t 10000 -m none -E "$executions" \
  -- dotnet "$publish/Convoy.Fuzz.dll" "$target" >"$findings/afl-fuzz.log" 2>&1 || {
    tail -40 "$findings/afl-fuzz.log" >&2
    exit 2
  }

stats="$findings/default/fuzzer_stats"
value() { sed -n "s/^$1 *: //p" "$stats"; }
echo "$target: $(value execs_done) executions in $(value run_time) s ($(value execs_per_sec) exec/s)," \
     "$(value saved_crashes) crashes, $(value saved_hangs) hangs, $(value corpus_count) inputs in the queue, $(value bitmap_cvg) map coverage;" \
     "afl-fuzz $(value afl_version)"

found=0
for kind in crashes hangs; do
  for input in "$findings/default/$kind"/id:*; do
    [ -e "$input" ] || continue
    name="${kind%es}"; name="${name%s}-$(sha1sum "$input" | cut -c1-12)"
    cp "$input" "$corpus/$name"
    echo "kept $corpus/$name" >&2
    found=1
  done
done
exit "$found"
