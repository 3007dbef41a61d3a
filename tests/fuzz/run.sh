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
# not ours to change: the two AFL_* that accept them. A kept crash whose bug is not fixed yet
# would stop afl-fuzz at its dry run: it is skipped (the corpus tests fail on it instead). The
# machine is shared: no core of its own (AFL_NO_AFFINITY), and niced. 10 s per input allows for
# the runtime's start and the first calls' JIT; an input that takes longer is a hang.
rm -rf "$findings"
mkdir -p "$findings"
dotnet_path="$(readlink -f "$(command -v dotnet)")" # afl-cmin wants the binary's own path, not a link
AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1 \
  nice -n 19 afl-fuzz -i "$corpus" -o "$findings" -t 10000 -m none -E "$executions" \
  -- "$dotnet_path" "$publish/Convoy.Fuzz.dll" "$target" >"$findings/afl-fuzz.log" 2>&1 || {
    tail -40 "$findings/afl-fuzz.log" >&2
    exit 2
  }

stats="$findings/default/fuzzer_stats"
value() { sed -n "s/^$1 *: //p" "$stats"; }
echo "$target: $(value execs_done) executions in $(value run_time) s ($(value execs_per_sec) exec/s)," \
     "$(value saved_crashes) crashes, $(value saved_hangs) hangs, $(value corpus_count) inputs in the queue, $(value bitmap_cvg) map coverage;" \
     "afl-fuzz $(value afl_version)"

# Keep what reaches new code, minimised: afl-cmin keeps the smallest input for each edge over
# the queue (which starts as the kept corpus). Seeds, crashes and hangs are always kept; the other
# kept inputs (queue-*) are replaced by this run's minimised set.
AFL_SKIP_BIN_CHECK=1 nice -n 19 afl-cmin -e -i "$findings/default/queue" -o "$findings/minimised" -t 10000 -m none \
  -- "$dotnet_path" "$publish/Convoy.Fuzz.dll" "$target" >"$findings/afl-cmin.log" 2>&1 || {
    tail -20 "$findings/afl-cmin.log" >&2
    exit 2
  }
declare -A always=()
for input in "$corpus"/seed-* "$corpus"/crash-* "$corpus"/hang-*; do
  [ -e "$input" ] && always["$(sha1sum <"$input" | cut -c1-40)"]=1
done
rm -f "$corpus"/queue-*
for input in "$findings/minimised"/*; do
  sum="$(sha1sum <"$input" | cut -c1-40)"
  [ -n "${always[$sum]:-}" ] || cp "$input" "$corpus/queue-${sum:0:12}"
done
echo "$target: kept $(ls "$corpus" | wc -l) inputs in $corpus ($(cat "$corpus"/* | wc -c) bytes)"

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
