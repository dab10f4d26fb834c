#!/usr/bin/env python3
"""Run the SQL examples of a README against a snapshot and compare their results.

    readme_queries.py README.md SNAPSHOT

An example is a fenced ```sql block with a marker line right before it and the
expected rows right after its closing fence (blank lines between the fence and
the expectation are allowed):

    <!-- query: people-at-most-meetings -->
    ```sql
    SELECT name, n_meetings FROM people ORDER BY n_meetings DESC, name LIMIT 2;
    ```
    <!-- expect: [["Vũ Đình Chiến", 2], ["Hoàng Bình", 1]] -->

The expectation is a JSON list of rows, each a list of values; it may span
several lines up to the closing `-->`. Rows are compared in order (give the
query an ORDER BY). Floats match within a relative tolerance of 1e-9; dates and
timestamps compare as ISO strings (timestamps in UTC: "2024-01-08T00:00:00+00:00");
lists as JSON lists. The views are those of sql/views.sql, with ${SNAP} replaced
by SNAPSHOT. Exits 1 on any failure, or when the README has no such example.
"""
import argparse
import datetime
import decimal
import json
import math
import os
import re
import sys
import uuid

import duckdb

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VIEWS = os.path.join(REPO, "sql", "views.sql")

QUERY_RE = re.compile(r"^\s*<!--\s*query:\s*(.+?)\s*-->\s*$")
EXPECT_START = re.compile(r"^\s*<!--\s*expect:(.*)$")
FENCE_SQL = re.compile(r"^\s*```\s*sql\s*$", re.IGNORECASE)
FENCE_END = re.compile(r"^\s*```\s*$")

REL_TOL = 1e-9


class ReadmeError(Exception):
    pass


def parse_examples(text, path):
    """[(name, sql, expected rows, line number)]; raises ReadmeError on a malformed example."""
    lines = text.splitlines()
    examples = []
    errors = []
    i = 0
    while i < len(lines):
        m = QUERY_RE.match(lines[i])
        if not m:
            i += 1
            continue
        name, start = m.group(1), i + 1
        if i + 1 >= len(lines) or not FENCE_SQL.match(lines[i + 1]):
            errors.append(f"{path}:{start}: query {name!r}: the next line should open a ```sql block")
            i += 1
            continue
        j = i + 2
        while j < len(lines) and not FENCE_END.match(lines[j]):
            j += 1
        if j >= len(lines):
            errors.append(f"{path}:{start}: query {name!r}: the ```sql block is never closed")
            break
        sql = "\n".join(lines[i + 2:j]).strip()
        k = j + 1
        while k < len(lines) and not lines[k].strip():
            k += 1
        em = EXPECT_START.match(lines[k]) if k < len(lines) else None
        if not em:
            errors.append(f"{path}:{start}: query {name!r}: no <!-- expect: [...] --> line after the block")
            i = j + 1
            continue
        body, end = em.group(1), k
        while "-->" not in body and end + 1 < len(lines):
            end += 1
            body += "\n" + lines[end]
        if "-->" not in body:
            errors.append(f"{path}:{k + 1}: query {name!r}: the expect comment is never closed with -->")
            break
        body = body[: body.index("-->")]
        try:
            want = json.loads(body)
        except ValueError as e:
            errors.append(f"{path}:{k + 1}: query {name!r}: expectation is not valid JSON ({e})")
            i = end + 1
            continue
        if not (isinstance(want, list) and all(isinstance(r, list) for r in want)):
            errors.append(f"{path}:{k + 1}: query {name!r}: expectation should be a list of rows (lists)")
            i = end + 1
            continue
        examples.append((name, sql, want, start))
        i = end + 1
    names = [e[0] for e in examples]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        errors.append(f"{path}: query names used more than once: {', '.join(dups)}")
    if errors:
        raise ReadmeError("\n".join(errors))
    return examples


def plain(v):
    """A DuckDB result value as the JSON-like value the README writes."""
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc)
        return v.isoformat()
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    return v


def same(got, want):
    if isinstance(got, bool) or isinstance(want, bool):
        return type(got) is type(want) and got == want
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        if isinstance(got, float) or isinstance(want, float):
            if math.isnan(got) or math.isnan(want):
                return math.isnan(got) and math.isnan(want)
            return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=0.0 if want else 1e-12)
        return got == want
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in got)
    return got == want


def connect(snapshot):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    views = open(VIEWS, encoding="utf-8").read()
    con.execute(views.replace("${SNAP}", snapshot.replace("'", "''")))
    return con


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("readme")
    ap.add_argument("snapshot", help="a snapshot folder, e.g. OUT/current")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    try:
        examples = parse_examples(open(a.readme, encoding="utf-8").read(), a.readme)
    except ReadmeError as e:
        print(e, file=sys.stderr)
        print("readme_queries: the README's examples are malformed", file=sys.stderr)
        sys.exit(1)
    if not examples:
        print(f"readme_queries: no example found in {a.readme}: a ```sql block preceded by "
              "<!-- query: NAME --> and followed by <!-- expect: [[...]] -->", file=sys.stderr)
        sys.exit(1)
    if not os.path.isdir(a.snapshot):
        print(f"readme_queries: {a.snapshot} is not a folder", file=sys.stderr)
        sys.exit(1)

    con = connect(a.snapshot)
    passed = failed = 0
    for name, sql, want, line in examples:
        try:
            got = [plain(list(r)) for r in con.execute(sql).fetchall()]
        except duckdb.Error as e:
            failed += 1
            print(f"FAIL {name} (README line {line}): {str(e).strip()}")
            continue
        if len(got) == len(want) and all(same(g, w) for g, w in zip(got, want)):
            passed += 1
            print(f"PASS {name}")
        else:
            failed += 1
            print(f"FAIL {name} (README line {line})")
            print(f"     got:  {json.dumps(got, ensure_ascii=False)}")
            print(f"     want: {json.dumps(want, ensure_ascii=False)}")
    print(f"readme_queries: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
