#!/usr/bin/env bash
# Incremental-run benchmark (issue 5): a full run over N documents, then a run
# with nothing changed, then one with 1% of the files edited.
#
#   scripts/bench_incremental.sh [N] [BIN]      default N=10000, BIN=target/release/hoinghi
#
# The corpus is the sample and held-out pages copied N times over under other
# names, each copy with a line of its own so no two files are the same. Prints
# the wall times (best of 3 for the quick runs) and the ratio to the full run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${1:-10000}
BIN=${2:-target/release/hoinghi}
WORK=${BENCH_DIR:-target/bench/incremental}
rm -rf "$WORK" && mkdir -p "$WORK/in"
mapfile -t SRC < <(ls sample-data/pages/*.txt sample-data/holdout/*.txt)
for ((i = 0; i < N; i++)); do
  f=${SRC[$((i % ${#SRC[@]}))]}
  d="$WORK/in/$((i / 1000))"
  mkdir -p "$d"
  { cat "$f"; printf '\nBản tin số %d.\n' "$i"; } > "$d/page-$i.txt"
done
bytes=$(du -sb "$WORK/in" | cut -f1)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }

t0=$(now); "$BIN" run --input "$WORK/in" --out "$WORK/out" > "$WORK/full.log" 2>&1; t1=$(now)
full=$(secs "$t0" "$t1")
best=""
for _ in 1 2 3; do
  t0=$(now); "$BIN" run --input "$WORK/in" --out "$WORK/out" > "$WORK/noop.log" 2>&1; t1=$(now)
  s=$(secs "$t0" "$t1"); if [ -z "$best" ] || [ "$(calc "$s < $best")" = "1.0000" ]; then best=$s; fi
done
noop=$best
grep -q "nothing changed" "$WORK/noop.log" || { echo "the no-change run published something:"; cat "$WORK/noop.log"; exit 1; }
# Edit 1% of the files.
for ((i = 0; i < N; i += 100)); do printf 'Sửa lần %d.\n' "$i" >> "$WORK/in/$((i / 1000))/page-$i.txt"; done
t0=$(now); "$BIN" run --input "$WORK/in" --out "$WORK/out" > "$WORK/one-percent.log" 2>&1; t1=$(now)
pct=$(secs "$t0" "$t1")
printf 'documents %d, input %.1f MB, binary %s, %s cores\n' "$N" "$(calc "$bytes / 1000000")" "$BIN" "$(nproc)"
printf 'full run            %8.3f s  (%.0f pages/s)\n' "$full" "$(calc "$N / $full")"
printf 'nothing changed     %8.3f s  = %.2f%% of the full run (best of 3)\n' "$noop" "$(calc "100 * $noop / $full")"
printf '1%% of files edited  %8.3f s  = %.1f%% of the full run\n' "$pct" "$(calc "100 * $pct / $full")"
