#!/usr/bin/env bash
# Two threads against one, measured in alternation (issue 7's 1.7x bar).
#
#   scripts/scaling.sh [ROUNDS] [BIN[@DIR]...]
#   ROUNDS=6 (default 3); BIN defaults to target/release/hoinghi
#   CORPUS=target/bench/corpus-100000-seed7 scripts/scaling.sh 2
#
# This machine's speed drifts by a tenth or more from one minute to the
# next, so one pair of runs (what `make bench` prints) can put the ratio
# anywhere from 1.6 to 2.2. Here each round runs every build with one thread
# and then with two, back to back, on the same corpus, and the summary gives
# each build's ratio per round, its mean, and the 2-thread run's CPU against
# the 1-thread run's (above 1: the machine was slower during the 2-thread
# run, or the threads got in each other's way). A build given as BIN@DIR runs
# from DIR, so an older binary reads its own checkout's pipelines/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${1:-3}
shift || true
BUILDS=("$@")
[ ${#BUILDS[@]} -gt 0 ] || BUILDS=("$PWD/target/release/hoinghi@$PWD")
CORPUS=${CORPUS:-target/bench/corpus-10000-seed7}
[ -d "$CORPUS/pages" ] || { echo "scaling: no corpus at $CORPUS; run make bench first" >&2; exit 1; }
CORPUS=$(cd "$CORPUS" && pwd)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

for round in $(seq "$ROUNDS"); do
  for build in "${BUILDS[@]}"; do
    bin=${build%@*}
    [[ $bin == /* ]] || bin="$PWD/$bin"
    dir=$PWD
    [[ $build == *@* ]] && dir=${build#*@}
    for threads in 1 2; do
      # The pages in the page cache before every run (see scripts/bench.sh).
      find "$CORPUS/pages" -type f -exec cat {} + >/dev/null
      rm -rf "$OUT/run"
      (cd "$dir" && /usr/bin/time -o "$OUT/time" -f '%e %U %S' \
        "$bin" run --input "$CORPUS/pages" --out "$OUT/run" --threads "$threads" >/dev/null 2>"$OUT/log") || {
        echo "scaling: $bin failed:"; cat "$OUT/log"; exit 1; }
      echo "$build $round $threads $(tail -1 "$OUT/time")" >>"$OUT/results"
    done
  done
done

python3 - "$OUT/results" <<'PY'
import collections, sys
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    build, rnd, threads, wall, user, sys_ = line.split()
    runs[(build, rnd)][int(threads)] = (float(wall), float(user) + float(sys_))
by_build = collections.defaultdict(list)
for (build, _), r in runs.items():
    (w1, c1), (w2, c2) = r[1], r[2]
    by_build[build].append((w1 / w2, c2 / c1, w1, w2))
for build, rs in by_build.items():
    mean = sum(r[0] for r in rs) / len(rs)
    print(f"{build}")
    print(f"  2 threads / 1 thread, per round: {' '.join(f'{r[0]:.2f}' for r in rs)}  (mean {mean:.2f})")
    print(f"  2-thread CPU / 1-thread CPU:     {' '.join(f'{r[1]:.2f}' for r in rs)}")
    print(f"  mean wall: 1 thread {sum(r[2] for r in rs) / len(rs):.2f} s, 2 threads {sum(r[3] for r in rs) / len(rs):.2f} s")
PY
