#!/usr/bin/env bash
# Throughput at scale (issue 7), what `make bench` runs.
#
#   scripts/bench.sh [SIZE...]          default sizes: 10000 100000
#   BIN=target/release/hoinghi SEED=7 BENCH_DIR=target/bench scripts/bench.sh 1000000
#   THREADS=2 scripts/bench.sh 1000000      # only these thread counts (default: 1 and all cores)
#
# For each size, a corpus is generated once with `hoinghi generate` (the same
# seed gives the same bytes). The whole pipeline then runs into an empty
# output folder with 1 thread and with all cores, the corpus read into the
# page cache before each, and each followed by a re-run with nothing changed. For each run it prints pages/s, MB/s of input (and per
# core), peak RSS, and the time of each stage from the snapshot's manifest;
# then, for each size, the speed-up of each thread count over the first
# (wall) and the CPU it took against the first's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${BIN:-target/release/hoinghi}
SEED=${SEED:-7}
DIR=${BENCH_DIR:-target/bench}
CORES=$(nproc)
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000)
read -r -a THREAD_COUNTS <<<"${THREADS:-1 $CORES}"
[ -x "$BIN" ] || { echo "bench: $BIN is missing; run: cargo build --release" >&2; exit 1; }
mkdir -p "$DIR"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $CORES cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; $("$BIN" --version); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

corpus_of() { echo "$DIR/corpus-$1-seed$SEED"; }

# Every full run starts with the pages in the page cache: this measures the
# pipeline, not the disk. Read again before each run, not once per corpus:
# this machine's kernel pages out file pages left untouched for a minute
# (DAMON reclaim), so a 100,000-page corpus read before the one-thread run
# was partly on disk again for the two-thread run.
read_into_cache() { find "$1/pages" -type f -exec cat {} + >/dev/null; }

# One run: wall, CPU and peak RSS from GNU time, stage times from the manifest.
measure() { # label corpus out threads input-bytes
  local label=$1 corpus=$2 out=$3 threads=$4 bytes=$5 t
  /usr/bin/time -o "$out.time" -f '%e %U %S %M' \
    "$BIN" run --input "$corpus/pages" --out "$out" --threads "$threads" >/dev/null 2>"$out.log" || {
    echo "bench: the run failed:"; cat "$out.log"; exit 1; }
  t=$(tail -1 "$out.time")
  python3 - "$label" "$out" "$threads" "$bytes" $t <<'PY'
import json, os, sys
label, out, threads, size = sys.argv[1:5]
wall, user, sys_, rss_kb = (float(x) for x in sys.argv[5:9])
threads = int(threads)
mb = int(size) / 1e6
m = json.load(open(os.path.join(out, "current", "_manifest.json")))
docs = m["input_counts"]["documents"]
s = m["stage_seconds"]
if label.startswith("re-run"):
    print(f"  {label:<22} {wall:7.2f} s  peak RSS {rss_kb/1024:6.0f} MB  (nothing changed, {docs} documents in the snapshot)")
    sys.exit(0)
publish = s["aggregate_cpu"] + s["parquet_cpu"]
cpu = user + sys_
print(f"  {label:<22} {wall:7.2f} s  {docs/wall:8.0f} pages/s  {mb/wall:6.1f} MB/s  {mb/wall/threads:5.1f} MB/s/core  "
      f"peak RSS {rss_kb/1024:5.0f} MB  CPU {cpu:6.1f} s")
print(f"  {'':<22} stages: plan {s['plan']:.2f} s, documents {s['documents_wall']:.2f} s wall "
      f"(CPU: ingest {s['ingest_cpu']:.2f}, normalize {s['normalize_cpu']:.2f}, extract {s['extract_cpu']:.2f}, "
      f"state {s['state_cpu']:.2f}, aggregate {s['aggregate_cpu']:.2f}, parquet {s['parquet_cpu']:.2f}), "
      f"finish {s['finish_wall']:.2f} s wall; roll-ups spilled {m.get('rollup_spills', 0)} times")
print(f"  {'':<22} publishing (aggregate + Parquet) = {publish:.2f} s CPU = {100*publish/cpu:.1f}% of the run's CPU; "
      f"after the last page: {s['finish_wall']:.2f} s = {100*s['finish_wall']/wall:.1f}% of its wall time")
PY
}

declare -A INPUT_BYTES
for n in "${SIZES[@]}"; do
  corpus=$(corpus_of "$n")
  if [ ! -f "$corpus/.complete" ]; then
    rm -rf "$corpus"
    "$BIN" generate --out "$corpus" --pages "$n" --seed "$SEED" >/dev/null
    touch "$corpus/.complete"
  fi
  # Input size: the files' bytes as stored (what MB/s is of).
  read -r files bytes < <(find "$corpus/pages" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %.0f\n", n, s }')
  INPUT_BYTES[$n]=$bytes
  echo
  echo "$n documents: $files files, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB of input ($corpus)"
  for threads in "${THREAD_COUNTS[@]}"; do
    out="$DIR/out-$n-t$threads"
    rm -rf "$out" "$out.log"
    read_into_cache "$corpus"
    measure "full, $threads thread(s)" "$corpus" "$out" "$threads" "$bytes"
    cp "$out.time" "$out.full.time"
    measure "re-run, $threads thread(s)" "$corpus" "$out" "$threads" "$bytes"
  done
  # The bar compares wall times. The CPU ratio tells why a speed-up is low:
  # near 1, the threads did the same work as one and waited; above 1, each
  # did its work slower (threads slowing each other, or the machine). One
  # pair of runs: scripts/scaling.sh alternates several for a steadier ratio.
  if [ ${#THREAD_COUNTS[@]} -gt 1 ]; then
    base=${THREAD_COUNTS[0]}
    read -r w0 u0 s0 _ < <(tail -1 "$DIR/out-$n-t$base.full.time")
    for threads in "${THREAD_COUNTS[@]:1}"; do
      read -r w u s _ < <(tail -1 "$DIR/out-$n-t$threads.full.time")
      awk -v t="$threads" -v b="$base" -v w0="$w0" -v c0="$u0 $s0" -v w="$w" -v c="$u $s" 'BEGIN {
        split(c0, x0, " "); split(c, x, " ")
        printf "  %s thread(s) against %s: %.2fx as fast (wall); CPU %.2fx the %s-thread run\047s\n",
          t, b, w0 / w, (x[1] + x[2]) / (x0[1] + x0[2]), b }'
    done
  fi
done

# This machine's speed drifts, by up to half within an hour: a larger size
# measured minutes after a smaller one can read slower per page with no
# more work per page. With more than one size, the first size's first run
# (first thread count) is repeated at the end: if it too reads slower than at
# the start, the machine slowed down. One size has nothing to compare.
if [ ${#SIZES[@]} -gt 1 ]; then
  n=${SIZES[0]}
  threads=${THREAD_COUNTS[0]}
  corpus=$(corpus_of "$n")
  out="$DIR/out-$n-again"
  rm -rf "$out" "$out.log"
  echo
  echo "drift check: $n documents again, $threads thread(s) (its first run is at the top)"
  read_into_cache "$corpus"
  measure "full again, $threads thread(s)" "$corpus" "$out" "$threads" "${INPUT_BYTES[$n]}"
fi
