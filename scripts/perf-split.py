#!/usr/bin/env python3
"""Shares of a run's time by kind of work, from `perf script` output.

    CARGO_PROFILE_RELEASE_DEBUG=true cargo build --release --target-dir T
    perf record -F 499 --call-graph dwarf,16384 T/release/hoinghi run ...
    perf script > run.txt
    scripts/perf-split.py run.txt

The release profile has no debug info: without it the stages' functions are
inlined out of sight and their samples land in the wrong kind.

Each sample is counted once, under the first kind of work (in the order
below) whose frame is on its stack. Extraction is split by the sample's leaf
frame: the allocator and copies, the search engines, or the extractor's own
logic. BENCHMARKS.md (fourteenth look) has a table made with it.
"""

import collections
import re
import sys

# A frame line: indented, an address, a symbol. A header line of a profile
# without call stacks is indented too (the command name is padded).
FRAME = re.compile(r"\s+[0-9a-f]+ \S")
ALLOCATION = re.compile(r"^(_?mi_|__mem(move|cpy)|malloc|free|realloc)")
SEARCH = re.compile(r"regex|aho_corasick|memchr")


def samples(path):
    """Each sample's frames, leaf first, as bare symbol names."""
    frames = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if frames:
                    yield frames
                frames = []
            elif FRAME.match(line):
                parts = line.strip().split(" ", 1)
                if len(parts) == 2:
                    name = parts[1].split(" (")[0]
                    frames.append(re.sub(r"\+0x[0-9a-f]+$", "", name))
            else:
                # A sample's header line: its frames follow.
                frames = []
    if frames:
        yield frames


def kind(frames):
    # Each frame's path before any generic parameters, so that
    # "hoinghi::ingest::" does not match "drop_in_place<hoinghi::ingest::InputFile>".
    paths = [f.split("<")[0] for f in frames]

    def on_stack(part):
        return any(f.startswith(part) or ("::" + part) in p for f, p in zip(frames, paths))

    leaf = frames[0]
    if on_stack("hoinghi::ingest::"):
        return "ingest: reading, hashing, decompressing"
    if on_stack("vntext::decode::decode"):
        return "normalize: decoding"
    if on_stack("normalize::page_text"):
        return "normalize: HTML"
    if on_stack("normalize::normalize"):
        return "normalize: the passes over the text"
    if on_stack("PhraseIndex::scan"):
        return "extraction: the page's phrase scan"
    if on_stack("extract::extract"):
        if ALLOCATION.search(leaf):
            return "extraction: allocation and copies"
        if SEARCH.search(leaf):
            return "extraction: regex and phrase searches"
        return "extraction: the logic per candidate"
    if any(on_stack(p) for p in ("Sink::take", "Aggregator::finish", "SnapshotWriter::", "finish_tables")):
        return "publishing: state rows, roll-ups, Parquet"
    if on_stack("Pipeline::rules") or on_stack("Lexicon::load"):
        return "setup: compiling the rules"
    return "other"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: perf-split.py PERF_SCRIPT_OUTPUT")
    counts = collections.Counter(kind(s) for s in samples(sys.argv[1]))
    total = sum(counts.values())
    if total == 0:
        sys.exit("no samples with call stacks: record with --call-graph dwarf")
    print(f"{total} samples")
    for name, n in counts.most_common():
        print(f"{100 * n / total:6.1f}%  {name}")


if __name__ == "__main__":
    main()
