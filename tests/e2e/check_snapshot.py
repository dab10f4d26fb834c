#!/usr/bin/env python3
"""Check a hoinghi output folder against the output contract (shared/CONTRACT.md).

    check_snapshot.py OUT [--input DIR] [--quarantined DIR]

OUT is the folder given to `hoinghi run --out`. Checks the `current` link, the
manifest, and for each of the eight tables: files, column names and types (through
DuckDB and through pyarrow), nullability, compression, statistics, enumerated
values, id format, keys and references between tables.

--input DIR        the input folder of the run: documents must have one row per file.
--quarantined DIR  every file named in DIR (e.g. sample-data/bad) must be a
                   quarantined document with an error.

Prints every failure and exits 1, or prints "check_snapshot: N checks passed".
"""
import argparse
import datetime
import glob
import json
import os
import re
import sys

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# ---------------------------------------------------------------------------
# The contract. Transcribed from shared/CONTRACT.md (keep the two in step):
# table -> [(column, Arrow type, nullable)], in the contract's column order.
# The contract states no nullability for unit_year_metrics and co_attendance;
# there, the pair keys and the columns copied from non-null metrics columns are
# taken as non-null, and None means "not checked".
# ---------------------------------------------------------------------------
CONTRACT = {
    "documents": [
        ("doc_id", "utf8", False),
        ("source", "utf8", False),
        ("content_sha256", "utf8", False),
        ("format", "utf8", False),
        ("encoding", "utf8", False),
        ("title", "utf8", True),
        ("published_at", "timestamp[ms, UTC]", True),
        ("author", "utf8", True),
        ("n_chars", "int64", False),
        ("status", "utf8", False),
        ("error", "utf8", True),
    ],
    "meetings": [
        ("meeting_id", "utf8", False),
        ("doc_id", "utf8", False),
        ("meeting_date", "date32", True),
        ("date_text", "utf8", True),
        ("year_inferred", "bool", False),
        ("time_of_day", "utf8", True),
        ("meeting_type", "utf8", False),
        ("period_year", "int32", True),
        ("period_half", "int8", True),
        ("organizer", "utf8", True),
        ("unit_type", "utf8", True),
        ("unit_name", "utf8", True),
        ("city", "utf8", True),
        ("province", "utf8", True),
        ("admin_code", "utf8", True),
    ],
    "person_mentions": [
        ("mention_id", "utf8", False),
        ("meeting_id", "utf8", False),
        ("doc_id", "utf8", False),
        ("person_id", "utf8", False),
        ("name", "utf8", False),
        ("roles", "list<utf8>", False),
        ("titles", "list<utf8>", False),
        ("titles_raw", "list<utf8>", False),
        ("evidence", "utf8", False),
        ("char_start", "int64", False),
        ("char_end", "int64", False),
    ],
    "people": [
        ("person_id", "utf8", False),
        ("name", "utf8", False),
        ("n_meetings", "int64", False),
        ("first_seen", "date32", True),
        ("last_seen", "date32", True),
        ("latest_titles", "list<utf8>", False),
        ("units", "list<utf8>", False),
    ],
    "metrics": [
        ("metric_id", "utf8", False),
        ("meeting_id", "utf8", False),
        ("doc_id", "utf8", False),
        ("indicator", "utf8", False),
        ("label", "utf8", True),
        ("value", "float64", False),
        ("unit", "utf8", False),
        ("value_high", "float64", True),
        ("denominator", "float64", True),
        ("qualifier", "utf8", False),
        ("kind", "utf8", False),
        ("period_year", "int32", True),
        ("value_text", "utf8", False),
        ("evidence", "utf8", False),
        ("char_start", "int64", False),
        ("char_end", "int64", False),
    ],
    "awards": [
        ("award_id", "utf8", False),
        ("meeting_id", "utf8", False),
        ("doc_id", "utf8", False),
        ("giver", "utf8", True),
        ("award", "utf8", False),
        ("recipient_type", "utf8", False),
        ("count", "int32", True),
        ("person_id", "utf8", True),
        ("evidence", "utf8", False),
    ],
    "unit_year_metrics": [
        ("province", "utf8", None),
        ("city", "utf8", None),
        ("unit_type", "utf8", None),
        ("unit_name", "utf8", None),
        ("year", "int32", None),
        ("indicator", "utf8", False),
        ("kind", "utf8", False),
        ("unit", "utf8", False),
        ("value", "float64", False),
        ("n_sources", "int64", False),
    ],
    "co_attendance": [
        ("person_a", "utf8", False),
        ("person_b", "utf8", False),
        ("n_meetings", "int64", False),
        ("first_met", "date32", True),
        ("last_met", "date32", True),
    ],
}

METRIC_UNITS = [
    "vnd", "percent", "pct_of_plan", "person", "party_member", "household",
    "organization", "party_cell", "goal", "project", "ha", "km2", "km", "m",
    "vnd_per_ha", "vnd_per_person_year", "tonne", "permille", "count", "other",
]
UNIT_TYPES = ["phường", "xã", "thị trấn"]
KINDS = ["actual", "target"]

# (table, column) -> allowed values; for a list column, allowed elements.
ENUMS = {
    ("documents", "format"): ["txt", "html", "jsonl"],
    ("documents", "encoding"): ["utf-8", "utf-16le", "utf-16be", "windows-1258", "tcvn3", "vni"],
    ("documents", "status"): ["ok", "quarantined"],
    ("meetings", "meeting_type"): ["annual_review", "midyear_review", "congress",
                                   "council_session", "launch", "ceremony", "other"],
    ("meetings", "time_of_day"): ["morning", "afternoon", "evening"],
    ("meetings", "unit_type"): UNIT_TYPES,
    ("person_mentions", "roles"): ["chair", "attendee", "speaker", "awardee", "author",
                                   "editor", "mentioned"],
    ("metrics", "unit"): METRIC_UNITS,
    ("metrics", "qualifier"): ["exact", "over", "under", "approx", "at_least"],
    ("metrics", "kind"): KINDS,
    ("awards", "recipient_type"): ["collective", "individual", "party_cell",
                                   "party_member", "unit", "person"],
    # Same vocabularies, carried into the aggregate.
    ("unit_year_metrics", "unit_type"): UNIT_TYPES,
    ("unit_year_metrics", "kind"): KINDS,
    ("unit_year_metrics", "unit"): METRIC_UNITS,
}

# Keys: the columns that identify a row.
KEYS = {
    "documents": ["doc_id"],
    "meetings": ["meeting_id"],
    "person_mentions": ["mention_id"],
    "people": ["person_id"],
    "metrics": ["metric_id"],
    "awards": ["award_id"],
    "unit_year_metrics": ["province", "city", "unit_type", "unit_name", "year",
                          "indicator", "kind", "unit"],
    "co_attendance": ["person_a", "person_b"],
}

# Columns that hold ids without ending in _id.
EXTRA_ID_COLUMNS = {("co_attendance", "person_a"), ("co_attendance", "person_b")}

# (table, column) -> (referenced table, referenced column)
REFERENCES = [
    ("meetings", "doc_id", "documents", "doc_id"),
    ("person_mentions", "meeting_id", "meetings", "meeting_id"),
    ("person_mentions", "doc_id", "documents", "doc_id"),
    ("person_mentions", "person_id", "people", "person_id"),
    ("metrics", "meeting_id", "meetings", "meeting_id"),
    ("metrics", "doc_id", "documents", "doc_id"),
    ("awards", "meeting_id", "meetings", "meeting_id"),
    ("awards", "doc_id", "documents", "doc_id"),
    ("awards", "person_id", "people", "person_id"),
    ("co_attendance", "person_a", "people", "person_id"),
    ("co_attendance", "person_b", "people", "person_id"),
]

# Contract type -> DuckDB type name as DESCRIBE prints it.
DUCKDB_TYPES = {
    "utf8": "VARCHAR",
    "int64": "BIGINT",
    "int32": "INTEGER",
    "int8": "TINYINT",
    "float64": "DOUBLE",
    "bool": "BOOLEAN",
    "date32": "DATE",
    "timestamp[ms, UTC]": "TIMESTAMP WITH TIME ZONE",
    "list<utf8>": "VARCHAR[]",
}

UTC_NAMES = {"UTC", "utc", "+00:00", "Etc/UTC", "Z"}


def arrow_type_ok(contract_type, t):
    """Whether the Arrow type pyarrow reads matches the contract's type exactly."""
    if contract_type == "utf8":
        return t == pa.string()
    if contract_type == "int64":
        return t == pa.int64()
    if contract_type == "int32":
        return t == pa.int32()
    if contract_type == "int8":
        return t == pa.int8()
    if contract_type == "float64":
        return t == pa.float64()
    if contract_type == "bool":
        return t == pa.bool_()
    if contract_type == "date32":
        return t == pa.date32()
    if contract_type == "timestamp[ms, UTC]":
        return pa.types.is_timestamp(t) and t.unit == "ms" and t.tz in UTC_NAMES
    if contract_type == "list<utf8>":
        return pa.types.is_list(t) and t.value_type == pa.string()
    raise ValueError(contract_type)


HEX = re.compile(r"^[0-9a-f]+$")


class Checker:
    def __init__(self):
        self.failures = []
        self.notes = []
        self.passed = 0

    def check(self, ok, message):
        """Record one check; `message` says what is wrong when it fails (None: the caller reports it)."""
        if ok:
            self.passed += 1
        elif message is not None:
            self.failures.append(message)
        return ok

    def fail(self, message):
        self.failures.append(message)

    def note(self, message):
        self.notes.append(message)


def sql_str(s):
    return "'" + str(s).replace("'", "''") + "'"


def sample(values, n=3):
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:n])
    return shown + (f", ... ({len(values)} in all)" if len(values) > n else "")


# ---------------------------------------------------------------------------
# Layout and manifest
# ---------------------------------------------------------------------------

def check_layout(c, out):
    """Return the snapshot folder `current` points to, or None."""
    cur = os.path.join(out, "current")
    if not c.check(os.path.islink(cur), f"{cur}: missing or not a symlink"):
        if os.path.isdir(cur):
            return cur  # go on with the table checks all the same
        return None
    target = os.readlink(cur)
    real = os.path.realpath(cur)
    snaps = os.path.realpath(os.path.join(out, "snapshots"))
    c.check(os.path.isdir(real), f"{cur} -> {target}: the target is not a folder")
    c.check(os.path.dirname(real) == snaps,
            f"{cur} -> {target}: should point to snapshots/<run_id> under {out}")
    c.check(not os.path.isabs(target),
            f"{cur} -> {target}: the link should be relative (snapshots/<run_id>) so OUT can move")
    return real if os.path.isdir(real) else None


def flatten(obj, prefix=""):
    """{"a": {"b": 1}} -> {"a.b": 1}; lists of dicts keep their index."""
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{prefix}.{k}" if prefix else str(k)
            out[p] = v
            out.update(flatten(v, p))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            p = f"{prefix}.{i}"
            if isinstance(v, (dict, list)):
                out.update(flatten(v, p))
    return out


def parse_time(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)  # epoch seconds or millis: comparable with each other
    if isinstance(v, str):
        try:
            t = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        return t.timestamp()
    return None


def find_key(flat, pattern, accept=lambda v: True, max_depth=2, skip=None):
    """Shallowest manifest path whose last part matches `pattern` and whose value is accepted;
    paths matching the regex `skip` are left out."""
    rx = re.compile(pattern, re.IGNORECASE)
    for path in sorted(flat, key=lambda p: p.count(".")):
        parts = path.split(".")
        if skip and re.search(skip, path, re.IGNORECASE):
            continue
        if len(parts) <= max_depth and rx.search(parts[-1]) and accept(flat[path]):
            return path
    return None


INPUT_COUNT_NAMES = ["new", "changed", "unchanged", "removed", "quarantined"]


def count_name(k):
    k = k.lower()
    k = re.sub(r"^(n_|num_)", "", k)
    k = re.sub(r"_(documents|docs|files|inputs|count)$", "", k)
    return k


def find_dict_with(flat, manifest, names, min_hits, normalize=lambda k: k):
    """Path (or "" for the root) of the dict holding most of `names` as (normalized) keys."""
    best, best_hits = None, 0
    candidates = [("", manifest)] + [(p, v) for p, v in flat.items() if isinstance(v, dict)]
    for path, d in candidates:
        keys = {normalize(k) for k in d}
        hits = sum(1 for n in names if n in keys)
        if hits > best_hits:
            best, best_hits = path, hits
    return (best, best_hits) if best_hits >= min_hits else (None, 0)


def get_path(manifest, path):
    v = manifest
    for part in path.split(".") if path else []:
        v = v[int(part)] if isinstance(v, list) else v[part]
    return v


def check_manifest(c, snap):
    """Check _manifest.json; return {table: rows} as the manifest states them (may be empty)."""
    path = os.path.join(snap, "_manifest.json")
    if not c.check(os.path.isfile(path), f"{path}: missing"):
        return {}
    try:
        manifest = json.load(open(path, encoding="utf-8"))
    except (ValueError, OSError) as e:
        c.fail(f"{path}: not valid JSON ({e})")
        return {}
    if not c.check(isinstance(manifest, dict), f"{path}: should hold a JSON object"):
        return {}
    flat = flatten(manifest)
    where = "_manifest.json"
    found = {}

    # run id, equal to the snapshot folder's name
    p = find_key(flat, r"^(run_?id|id)$", lambda v: isinstance(v, str) and v)
    if c.check(p is not None, f"{where}: no run id (e.g. \"run_id\")"):
        found["run id"] = p
        c.check(flat[p] == os.path.basename(snap),
                f"{where}: {p} is {flat[p]!r} but the snapshot folder is {os.path.basename(snap)!r}")

    # start and end
    is_time = lambda v: parse_time(v) is not None
    ps = find_key(flat, r"^(run_)?(start|started|begin|began)(_at|_time|_ts|ed_at)?$", is_time,
                  skip=r"stage|timing")
    pe = find_key(flat, r"^(run_)?(end|ended|finish|finished|completed|done)(_at|_time|_ts|ed_at)?$", is_time,
                  skip=r"stage|timing")
    c.check(ps is not None, f"{where}: no run start time (e.g. \"started_at\", ISO 8601 or epoch)")
    c.check(pe is not None, f"{where}: no run end time (e.g. \"finished_at\", ISO 8601 or epoch)")
    if ps and pe:
        found["start/end"] = f"{ps}, {pe}"
        c.check(parse_time(flat[pe]) >= parse_time(flat[ps]),
                f"{where}: ends ({flat[pe]}) before it starts ({flat[ps]})")

    # pipeline + config version: which pipeline ran, and a version or hash of its rules/config
    pn = find_key(flat, r"pipeline", lambda v: isinstance(v, (str, dict)) and bool(v), max_depth=1)
    c.check(pn is not None, f"{where}: does not name the pipeline (e.g. \"pipeline\": \"ward-meetings\")")
    pv = find_key(flat, r"version|hash|sha\d*$|digest|fingerprint",
                  lambda v: isinstance(v, (str, int)) and not isinstance(v, bool) and v != "",
                  skip=r"stage|timing|input|row|table")
    if c.check(pv is not None, f"{where}: no pipeline/config version "
                               f"(e.g. \"rules_version\": \"1\" or \"config_sha256\": \"...\")"):
        found["pipeline/config version"] = f"{pn}, {pv}" if pn else pv

    # input counts
    ip, hits = find_dict_with(flat, manifest, INPUT_COUNT_NAMES, 2, count_name)
    if c.check(ip is not None,
               f"{where}: no input counts (an object with {', '.join(INPUT_COUNT_NAMES)})"):
        d = get_path(manifest, ip)
        have = {count_name(k): v for k, v in d.items()}
        missing = [n for n in INPUT_COUNT_NAMES if n not in have]
        c.check(not missing, f"{where}: input counts at {ip or '(top level)'} lack {', '.join(missing)}")
        bad = [n for n in INPUT_COUNT_NAMES
               if n in have and not (isinstance(have[n], int) and not isinstance(have[n], bool) and have[n] >= 0)]
        c.check(not bad, f"{where}: input counts {', '.join(bad)} are not counts (non-negative integers)")
        found["input counts"] = ip or "(top level)"

    # row counts per table
    rp, hits = find_dict_with(flat, manifest, list(CONTRACT), 4)
    row_counts = {}
    if c.check(rp is not None, f"{where}: no row counts per table (an object keyed by table name)"):
        d = get_path(manifest, rp)
        for t in CONTRACT:
            v = d.get(t)
            if isinstance(v, dict):
                k = next((k for k in ("rows", "row_count", "n_rows", "num_rows", "count") if k in v), None)
                v = v.get(k) if k else None
            if c.check(isinstance(v, int) and not isinstance(v, bool),
                       f"{where}: row count of {t} missing or not an integer at {rp or '(top level)'}"):
                row_counts[t] = v
        found["row counts"] = rp or "(top level)"

    # stage timings
    tp = None
    for path, v in flat.items():
        last = path.split(".")[-1]
        if len(path.split(".")) <= 2 and re.search(r"stage|timing|duration|elapsed", last, re.IGNORECASE) \
                and isinstance(v, (dict, list)) and v:
            tp = path
            break
    if c.check(tp is not None, f"{where}: no stage timings (e.g. \"stage_timings_ms\": {{\"read\": 12, ...}})"):
        v = flat[tp]
        items = list(v.values()) if isinstance(v, dict) else v
        numeric = all(isinstance(x, (int, float)) or
                      (isinstance(x, dict) and any(isinstance(y, (int, float)) for y in x.values()))
                      for x in items)
        c.check(numeric, f"{where}: stage timings at {tp} should be numbers (or objects holding one)")
        found["stage timings"] = tp

    print("manifest: " + "; ".join(f"{k} at {v}" for k, v in found.items()))
    return row_counts


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

def check_files(c, snap, table):
    """Return the table's part files."""
    d = os.path.join(snap, table)
    parts = sorted(glob.glob(os.path.join(d, "part-*.parquet")))
    c.check(bool(parts), f"{table}: no {table}/part-*.parquet")
    others = sorted(set(glob.glob(os.path.join(d, "*.parquet"))) - set(parts))
    c.check(not others, f"{table}: parquet files not named part-*.parquet, which readers of *.parquet "
                        f"would also read: {sample(os.path.basename(o) for o in others)}")
    return parts


def check_duckdb_schema(c, con, table, pattern):
    """Column names, order and DuckDB types; returns whether DuckDB can read the table at all."""
    cols = CONTRACT[table]
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_str(pattern)})").fetchall()
    except duckdb.Error as e:
        c.fail(f"{table}: DuckDB cannot read the part files: {e}")
        return False
    got_names = [r[0] for r in rows]
    got_types = {r[0]: r[1] for r in rows}
    want_names = [name for name, _, _ in cols]
    extra = [n for n in got_names if n not in want_names]
    if c.check(got_names[:len(want_names)] == want_names, None):
        if extra:
            c.note(f"{table}: extra columns after the contract's: "
                   + ", ".join(f"{n} {got_types[n]}" for n in extra))
    else:
        details = []
        missing = [n for n in want_names if n not in got_types]
        if missing:
            details.append("missing " + ", ".join(missing))
        present = [n for n in got_names if n in want_names]
        if present != [n for n in want_names if n in got_types]:
            details.append("contract columns out of order")
        last = max((got_names.index(n) for n in present), default=-1)
        early = [n for n in extra if got_names.index(n) < last]
        if early:
            details.append("extra columns before the contract's last one: " + ", ".join(early))
        c.fail(f"{table}: columns are not the contract's, in its order, first ({'; '.join(details)})\n"
               f"      want: {', '.join(want_names)}\n"
               f"      got:  {', '.join(got_names)}")
    for name, t, _ in cols:
        if name in got_types:
            c.check(got_types[name] == DUCKDB_TYPES[t],
                    f"{table}.{name}: DuckDB type {got_types[name]}, should be {DUCKDB_TYPES[t]}")
    return True


def check_parquet(c, table, parts):
    """Arrow types, nullability, compression and statistics, through pyarrow. Returns the data."""
    cols = CONTRACT[table]
    tables = []
    first_schema = None
    for f in parts:
        name = f"{table}/{os.path.basename(f)}"
        try:
            pf = pq.ParquetFile(f)
        except Exception as e:  # noqa: BLE001 - any reader error is a failure to report
            c.fail(f"{name}: pyarrow cannot open it: {e}")
            continue
        schema = pf.schema_arrow
        if first_schema is None:
            first_schema = schema
        else:
            c.check(schema.equals(first_schema),
                    f"{name}: schema differs from {table}/{os.path.basename(parts[0])}")
        for col, ctype, nullable in cols:
            i = schema.get_field_index(col)
            if i < 0:
                continue  # reported by the DuckDB check
            field = schema.field(i)
            c.check(arrow_type_ok(ctype, field.type),
                    f"{name}: {col} has Arrow type {field.type}, should be {ctype}")
            if nullable is False:
                c.check(not field.nullable,
                        f"{name}: {col} is declared nullable (Parquet OPTIONAL); the contract says never null (REQUIRED)")
        # One line per problem and file, naming the columns, however many row groups.
        codecs, no_stats, no_minmax = {}, set(), set()
        md = pf.metadata
        for rg in range(md.num_row_groups):
            g = md.row_group(rg)
            for j in range(g.num_columns):
                cc = g.column(j)
                col = cc.path_in_schema
                if not c.check(cc.compression == "ZSTD", None):
                    codecs.setdefault(cc.compression, set()).add(col)
                st = cc.statistics if cc.is_stats_set else None
                if g.num_rows == 0:
                    pass  # an empty row group has nothing to describe
                elif st is None:
                    no_stats.add(col)
                elif ("." not in col and not st.has_min_max
                      and cc.num_values > (st.null_count if st.has_null_count else 0)):
                    # A flat column with values has min/max. (List leaves are left out:
                    # writers count empty lists differently, so "has values" is not known here.)
                    no_minmax.add(col)
                else:
                    c.passed += 1
        for codec, cols_ in sorted(codecs.items()):
            c.fail(f"{name}: compression {codec}, should be ZSTD, in columns {', '.join(sorted(cols_))}")
        if no_stats:
            c.fail(f"{name}: no statistics for columns {', '.join(sorted(no_stats))}")
        if no_minmax:
            c.fail(f"{name}: statistics without min/max for columns {', '.join(sorted(no_minmax))}")
        try:
            tables.append(pf.read())
        except Exception as e:  # noqa: BLE001
            c.fail(f"{name}: pyarrow cannot read the data: {e}")
    if not tables:
        return None
    try:
        data = pa.concat_tables(tables)
    except pa.ArrowInvalid as e:
        c.fail(f"{table}: part files do not concatenate: {e}")
        return None
    for col, ctype, nullable in cols:
        if col not in data.column_names or nullable is not False:
            continue
        arr = data.column(col)
        c.check(arr.null_count == 0, f"{table}.{col}: {arr.null_count} null values; the contract says never null")
        if ctype.startswith("list<") and len(arr):
            flat = pc.list_flatten(arr)
            c.check(flat.null_count == 0, f"{table}.{col}: {flat.null_count} null list elements")
    return data


def check_dictionary(c, table, parts):
    """Enumerated strings should be dictionary-encoded (CONTRACT.md, Parquet)."""
    enum_cols = {col for (t, col) in ENUMS if t == table}
    for f in parts:
        md = pq.ParquetFile(f).metadata
        for rg in range(md.num_row_groups):
            g = md.row_group(rg)
            for j in range(g.num_columns):
                cc = g.column(j)
                top = cc.path_in_schema.split(".")[0]
                st = cc.statistics if cc.is_stats_set else None
                all_null = st is not None and st.has_null_count and st.null_count >= cc.num_values
                if top in enum_cols and cc.num_values > 0 and not all_null:
                    c.check(any("DICTIONARY" in e for e in cc.encodings),
                            f"{table}/{os.path.basename(f)}: {cc.path_in_schema} is not dictionary-encoded "
                            f"(encodings {', '.join(cc.encodings)})")


def check_values(c, table, data):
    if data is None:
        return
    names = data.column_names
    for (t, col), allowed in ENUMS.items():
        if t != table or col not in names:
            continue
        arr = data.column(col)
        if pa.types.is_list(arr.type):
            arr = pc.list_flatten(arr)
        values = {v for v in arr.to_pylist() if v is not None}
        bad = sorted(values - set(allowed))
        c.check(not bad, f"{table}.{col}: values outside the contract's list: {sample(bad)}")
    for col in names:
        if not (col.endswith("_id") or (table, col) in EXTRA_ID_COLUMNS):
            continue
        if data.schema.field(col).type != pa.string():
            continue
        bad = sorted({v for v in data.column(col).to_pylist() if v is not None and not HEX.match(v)})
        c.check(not bad, f"{table}.{col}: not lowercase hex: {sample(bad)}")
    key = KEYS[table]
    if all(k in names for k in key):
        seen, dups = set(), []
        cols = [data.column(k).to_pylist() for k in key]
        for row in zip(*cols):
            if row in seen:
                dups.append(row if len(row) > 1 else row[0])
            seen.add(row)
        c.check(not dups, f"{table}: {len(dups)} duplicate keys ({', '.join(key)}): {sample(dups)}")


def check_rows(c, table, data, manifest_rows):
    if data is None or table not in manifest_rows:
        return
    c.check(data.num_rows == manifest_rows[table],
            f"{table}: {data.num_rows} rows, but the manifest says {manifest_rows[table]}")


class Query:
    """Runs the cross-table checks' SQL; a query that fails is itself a failure
    (e.g. a column missing), reported once, and gives no rows."""

    def __init__(self, c, con):
        self.c, self.con = c, con

    def __call__(self, sql):
        try:
            return self.con.execute(sql).fetchall()
        except duckdb.Error as e:
            first = " ".join(sql.split())[:90]
            self.c.fail(f"could not run a check ({first}...): {str(e).splitlines()[0]}")
            return []


def check_relations(c, query, readable):
    """Checks across tables, on DuckDB views over the part files."""
    for t, col, rt, rcol in REFERENCES:
        if t not in readable or rt not in readable:
            continue
        bad = [r[0] for r in query(f"SELECT DISTINCT {col} FROM {t} WHERE {col} IS NOT NULL "
                                        f"AND {col} NOT IN (SELECT {rcol} FROM {rt}) ORDER BY 1")]
        c.check(not bad, f"{t}.{col}: {len(bad)} values not in {rt}.{rcol}: {sample(bad)}")

    if "co_attendance" in readable:
        bad = query("SELECT person_a, person_b FROM co_attendance WHERE NOT (person_a < person_b)")
        c.check(not bad, f"co_attendance: {len(bad)} rows without person_a < person_b: {sample(bad)}")
    if "meetings" in readable and "documents" in readable:
        bad = [r[0] for r in query("SELECT DISTINCT m.doc_id FROM meetings m JOIN documents d USING (doc_id) "
                                        "WHERE d.status <> 'ok'")]
        c.check(not bad, f"meetings: {len(bad)} meetings from quarantined documents: {sample(bad)}")
    for t in ("person_mentions", "metrics", "awards"):
        if t in readable and "meetings" in readable:
            bad = [r[0] for r in query(f"SELECT DISTINCT x.meeting_id FROM {t} x JOIN meetings m "
                                            f"USING (meeting_id) WHERE x.doc_id <> m.doc_id")]
            c.check(not bad, f"{t}: {len(bad)} rows whose doc_id is not their meeting's: {sample(bad)}")
    for t in ("person_mentions", "metrics"):
        if t in readable:
            bad = query(f"SELECT char_start, char_end FROM {t} "
                             f"WHERE char_start < 0 OR char_end < char_start LIMIT 5")
            c.check(not bad, f"{t}: spans with char_start < 0 or char_end < char_start: {sample(bad)}")
    if "meetings" in readable:
        bad = [r[0] for r in query("SELECT DISTINCT period_half FROM meetings WHERE period_half NOT IN (1, 2)")]
        c.check(not bad, f"meetings.period_half: values other than 1 and 2: {sample(bad)}")
    if "people" in readable and "person_mentions" in readable:
        bad = query("""
            SELECT p.person_id, p.n_meetings, coalesce(m.n, 0)
            FROM people p LEFT JOIN (SELECT person_id, count(DISTINCT meeting_id) n
                                     FROM person_mentions GROUP BY person_id) m USING (person_id)
            WHERE p.n_meetings <> coalesce(m.n, 0) ORDER BY 1""")
        c.check(not bad, f"people.n_meetings: differs from the meetings in person_mentions "
                         f"(person_id, n_meetings, meetings mentioned): {sample(bad)}")
    if "documents" in readable:
        bad = [r[0] for r in query("SELECT source FROM documents WHERE status = 'quarantined' "
                                        "AND (error IS NULL OR trim(error) = '') ORDER BY 1")]
        c.check(not bad, f"documents: {len(bad)} quarantined without an error: {sample(bad)}")
        bad = [r[0] for r in query("SELECT source FROM documents WHERE status = 'ok' "
                                        "AND error IS NOT NULL ORDER BY 1")]
        c.check(not bad, f"documents: {len(bad)} with status ok and an error: {sample(bad)}")
        bad = [r[0] for r in query("SELECT source FROM documents WHERE status = 'ok' "
                                        "AND n_chars <= 0 ORDER BY 1")]
        c.check(not bad, f"documents: {len(bad)} with status ok and an empty body (n_chars 0), "
                         f"which should be quarantined: {sample(bad)}")
        bad = [r[0] for r in query("SELECT source FROM documents "
                                        "WHERE NOT regexp_full_match(content_sha256, '[0-9a-f]{64}') ORDER BY 1")]
        c.check(not bad, f"documents.content_sha256: not 64 lowercase hex digits: {sample(bad)}")


def input_files(root):
    files = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            files.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(files)


def is_url(source):
    return "://" in source


def doc_rows_for(rel, root, sources):
    """The documents sources that come from input file `rel` (a .jsonl file may give several):
    the same path relative to the input root or absolute, else one ending in /rel."""
    absolute = os.path.abspath(os.path.join(root, rel))
    exact, suffix = [], []
    for s in sources:
        if is_url(s):
            continue
        base = s.split("#", 1)[0] if rel.endswith(".jsonl") else s
        if base == rel or os.path.abspath(base) == absolute:
            exact.append(s)
        elif base.endswith("/" + rel):
            suffix.append(s)
    return exact or suffix


def check_inputs(c, query, input_dir, quarantined_dir):
    rows = query("SELECT source, status, error FROM documents")
    sources = [r[0] for r in rows]
    status = {r[0]: r[1] for r in rows}
    if input_dir:
        files = input_files(input_dir)
        covered = set()
        for rel in files:
            mine = doc_rows_for(rel, input_dir, sources)
            covered.update(mine)
            if rel.endswith(".jsonl"):
                if not mine and any(is_url(s) for s in sources):
                    c.note(f"documents: no row has {rel} as source; its records may be listed by URL")
                else:
                    c.check(len(mine) >= 1, f"documents: no row for input file {rel}")
            else:
                c.check(len(mine) == 1, f"documents: {len(mine)} rows for input file {rel}, should be 1"
                                        + (f" ({sample(mine)})" if mine else ""))
        stray = sorted(s for s in set(sources) - covered if not is_url(s))
        c.check(not stray, f"documents: rows whose source is no input file under {input_dir}: {sample(stray)}")
    if quarantined_dir:
        root = input_dir or quarantined_dir
        for rel in input_files(quarantined_dir):
            mine = doc_rows_for(rel, root, sources) or doc_rows_for(rel, quarantined_dir, sources)
            if not mine:
                c.fail(f"documents: bad input {rel} has no row (it should be quarantined, never dropped)")
                continue
            ok = [s for s in mine if status[s] == "ok"]
            c.check(not ok, f"documents: bad input {rel} has status ok, should be quarantined")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="the folder given to hoinghi run --out")
    ap.add_argument("--input", help="the run's input folder: one documents row per file")
    ap.add_argument("--quarantined", help="a folder of inputs that must all be quarantined")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    c = Checker()
    snap = check_layout(c, a.out)
    if snap is None:
        report(c)
    print(f"snapshot: {snap}")
    manifest_rows = check_manifest(c, snap)

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    readable = set()
    for table in CONTRACT:
        parts = check_files(c, snap, table)
        if not parts:
            continue
        pattern = os.path.join(snap, table, "part-*.parquet")
        duckdb_reads = check_duckdb_schema(c, con, table, pattern)
        data = check_parquet(c, table, parts)
        check_dictionary(c, table, parts)
        check_values(c, table, data)
        check_rows(c, table, data, manifest_rows)
        if data is not None and duckdb_reads:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({sql_str(pattern)})")
            readable.add(table)
    query = Query(c, con)
    check_relations(c, query, readable)
    if "documents" in readable:
        check_inputs(c, query, a.input, a.quarantined)
    elif a.input or a.quarantined:
        c.fail("documents: unreadable, so the input files could not be matched to rows")
    report(c)


def report(c):
    for n in c.notes:
        print(f"note: {n}")
    if c.failures:
        print(f"\ncheck_snapshot: {len(c.failures)} failures:")
        for f in c.failures:
            print(f"  - {f}")
        print(f"check_snapshot: {c.passed} passed, {len(c.failures)} failed")
        sys.exit(1)
    print(f"check_snapshot: {c.passed} checks passed")
    sys.exit(0)


if __name__ == "__main__":
    main()
