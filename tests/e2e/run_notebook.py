#!/usr/bin/env python3
"""Execute a notebook's code cells headless, in order, in one namespace.

    run_notebook.py NOTEBOOK SNAPSHOT FIGURES_DIR

No Jupyter needed: the cells are plain Python. Fails on the first error, and
checks that each figure the notebook saves is a non-empty PNG.
"""
import json
import os
import sys


def main():
    nb_path, snapshot, figures = sys.argv[1:4]
    os.environ["HOINGHI_SNAPSHOT"] = os.path.abspath(snapshot)
    os.environ["HOINGHI_FIGURES"] = os.path.abspath(figures)
    os.environ["MPLBACKEND"] = "Agg"
    nb = json.load(open(nb_path, encoding="utf-8"))
    ns = {"__name__": "__main__"}
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(cells, 1):
        src = "".join(cell["source"])
        exec(compile(src, f"{nb_path} cell {i}", "exec"), ns)
    want = ["indicator_by_year.png", "meetings_per_month.png", "co_attendance.png"]
    for name in want:
        p = os.path.join(figures, name)
        with open(p, "rb") as f:
            head = f.read(8)
        if head != b"\x89PNG\r\n\x1a\n" or os.path.getsize(p) < 2000:
            sys.exit(f"run_notebook: {p} is not a drawn PNG")
    print(f"run_notebook: {len(cells)} cells ran, {len(want)} figures drawn")


if __name__ == "__main__":
    main()
