#!/usr/bin/env python3
"""Fail when extraction quality on the sample pages falls below the agreed floors.

    score_gate.py [--snapshot DIR] [--gold FILE] [--floors FILE]

Runs the shared evaluation (../shared/eval/score.py beside the repo) on the
end-to-end snapshot and the hand-written answers in sample-data/expected.json,
prints its report (every miss and extra), then compares the headline figures
with tests/e2e/score_floors.json:

    people_f1, roles_f1, titles_f1, figures_f1, awards_f1   F1 floors
    meeting_fields_accuracy                                 accuracy floor
    max_documents_missing                                   pages of expected.json that may be
                                                            absent from the snapshot

Raise a floor when extraction improves, so it cannot slip back unnoticed.
Skips (exit 0, with a message) only when ../shared is absent.
"""
import argparse
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
SCORE = os.path.join(SHARED, "eval", "score.py")

# floor key -> the block of score.py's JSON that holds its f1
F1_KEYS = {f"{n}_f1": n for n in ("people", "roles", "titles", "figures", "awards")}


def rel(p):
    return os.path.relpath(p, os.getcwd())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snapshot", default=os.path.join(REPO, "target", "e2e", "out", "current"))
    ap.add_argument("--gold", default=os.path.join(REPO, "sample-data", "expected.json"))
    ap.add_argument("--floors", default=os.path.join(REPO, "tests", "e2e", "score_floors.json"))
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    if not os.path.isdir(SHARED):
        print(f"score_gate: SKIPPED: {rel(SHARED)} is absent, so there is no score.py to run "
              "(it sits beside the repo in CI and on developer machines)")
        return 0
    for what, path in (("score script", SCORE), ("expected answers", a.gold),
                       ("floors", a.floors), ("snapshot", a.snapshot)):
        if not os.path.exists(path):
            print(f"score_gate: the {what} {rel(path)} is missing", file=sys.stderr)
            return 1

    floors = json.load(open(a.floors, encoding="utf-8"))
    known = set(F1_KEYS) | {"meeting_fields_accuracy", "max_documents_missing"}
    unknown = sorted(set(floors) - known)
    if unknown:
        print(f"score_gate: unknown keys in {rel(a.floors)}: {', '.join(unknown)} "
              f"(known: {', '.join(sorted(known))})", file=sys.stderr)
        return 1

    base = [sys.executable, SCORE, a.snapshot, a.gold]
    # The readable report first, so a reader sees what was missed.
    report = subprocess.run(base, capture_output=True, text=True)
    print(f"$ {' '.join(rel(x) if os.path.isabs(x) else x for x in base[1:])}")
    print(report.stdout, end="")
    if report.returncode != 0:
        print(report.stderr, end="", file=sys.stderr)
        print(f"score_gate: score.py failed (exit {report.returncode})", file=sys.stderr)
        return 1

    run = subprocess.run(base + ["--json"], capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stderr, end="", file=sys.stderr)
        print(f"score_gate: score.py --json failed (exit {run.returncode})", file=sys.stderr)
        return 1
    try:
        res = json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"score_gate: score.py --json printed no JSON:\n{run.stdout}", file=sys.stderr)
        return 1

    print()
    passed = failed = 0
    for key, floor in floors.items():
        if key in F1_KEYS:
            got = res[F1_KEYS[key]]["f1"]
            ok = got >= floor
            line = f"{key} {got:.4f} (floor {floor})"
        elif key == "meeting_fields_accuracy":
            got = res.get("meeting_fields_accuracy")
            ok = floor <= 0 if got is None else got >= floor
            line = f"{key} {'none measured' if got is None else f'{got:.4f}'} (floor {floor})"
        else:  # max_documents_missing
            missing = res.get("documents_missing") or []
            ok = len(missing) <= floor
            line = f"documents missing {len(missing)} (at most {floor})" + \
                (f": {', '.join(missing)}" if missing else "")
        print(f"{'PASS' if ok else 'FAIL'} {line}")
        passed += ok
        failed += not ok
    print(f"score_gate: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
