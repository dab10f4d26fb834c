#!/usr/bin/env python3
"""Rebuilds the bundled gazetteer: pipelines/gazetteer/units.csv.zst and SOURCE.md.

The data comes from the PyPI package `vietnamadminunits` (MIT), which carries the
63-province list of grassroots units (phường / xã / thị trấn with their district)
from before 1 July 2025, the 34-province list of the units since then, and the
package's own old -> new mapping. `vietnam-provinces` (the new units as the GSO
published them) is read only to cross-check codes and names; nothing of it is
shipped.

Rebuild, from the repository root, in a throwaway virtualenv:

    python3 -m venv /tmp/gaz-venv
    /tmp/gaz-venv/bin/pip install vietnamadminunits==1.0.4 vietnam-provinces==2025.10.1 zstandard==0.25.0
    /tmp/gaz-venv/bin/python scripts/build_gazetteer.py

Versions the bundled file was built with: vietnamadminunits 1.0.4,
vietnam-provinces 2025.10.1 (data version 2025-10-18), zstandard 0.25.0, Python 3.11.
(pip offered vietnam-provinces 2025.10.1 as its newest release for Python 3.11 here.)

Output: a zstd-compressed, TAB-separated UTF-8 text with a header line, one row
per grassroots unit of either era. No field contains a tab or a line break (the
script checks), so a reader splits lines on "\\n" and fields on "\\t". Columns:

    code            official unit code, 5 digits ("09553")
    era             "old" (before 2025-07-01) or "new" (since)
    unit_type       phường / xã / thị trấn / đặc khu (lowercase, from the official name)
    unit_name       the name without its type word ("Phúc La", "1", "Văn Miếu - Quốc Tử Giám")
    district_type   quận / huyện / thị xã / thành phố (old era; empty for new)
    district_name   without its type word (old era; empty for new)
    province_name   without "Tỉnh" / "Thành phố" ("Hà Nội", "Bà Rịa - Vũng Tàu")
    province_code   2 digits, of the province of that era
    province_type   tỉnh / thành phố (thành phố: a centrally run city)
    lat, lon        the package's point for the unit (4 decimals), empty when it has none
    new_code        old era: the code of the post-2025 unit the package maps it to
    new_name        old era: that unit's name with its type word ("phường Hà Đông")
    new_also        old era, for a unit split between several new units: the codes of
                    the others, ";"-separated (new_code is the package's default one)

Names are NFC with the tone placement of the project's CONTRACT.md ("hòa", "thủy",
"ủy", "khỏe"), single spaces.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import importlib.util
import json
import os
import sqlite3
import sys
import unicodedata
from collections import Counter, defaultdict

import zstandard

PINNED = {"vietnamadminunits": "1.0.4", "vietnam-provinces": "2025.10.1", "zstandard": "0.25.0"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "pipelines", "gazetteer")
COLUMNS = [
    "code", "era", "unit_type", "unit_name", "district_type", "district_name", "province_name",
    "province_code", "province_type", "lat", "lon", "new_code", "new_name", "new_also",
]
UNIT_TYPES = ["thị trấn", "phường", "xã", "đặc khu"]
DISTRICT_TYPES = ["thành phố", "thị xã", "quận", "huyện"]
PROVINCE_TYPES = ["thành phố", "tỉnh"]
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


# ---------------------------------------------------------------- text

def _split_tone(ch: str) -> tuple[str, str | None]:
    base, tone = "", None
    for d in unicodedata.normalize("NFD", ch):
        if d in TONE_MARKS:
            tone = d
        else:
            base += d
    return base, tone


def fix_tone_placement(s: str) -> str:
    """The same rule as src/vntext/tone.rs: a word-final "oa", "oe", "uy" (not "quy")
    carries its tone on the first vowel."""
    chars = list(s)
    out = list(chars)
    for i in range(1, len(chars)):
        if i + 1 < len(chars) and chars[i + 1].isalpha():
            continue
        base2, tone = _split_tone(chars[i])
        if tone is None:
            continue
        base1, tone1 = _split_tone(chars[i - 1])
        if tone1 is not None or len(base1) != 1 or len(base2) != 1:
            continue
        pair = (base1.lower(), base2.lower())
        moves = pair in {("o", "a"), ("o", "e")} or (
            pair == ("u", "y") and not (i >= 2 and chars[i - 2] in "qQ")
        )
        if moves:
            out[i - 1] = unicodedata.normalize("NFC", base1 + tone)
            out[i] = base2
    return "".join(out)


def norm(s: str | None) -> str:
    if not s:
        return ""
    s = unicodedata.normalize("NFC", s)
    s = " ".join(s.split())
    return fix_tone_placement(s)


def capitalize_words(name: str) -> str:
    """The package writes a few syllables that begin with an accented vowel in lowercase
    ("Đồng ý", "Đại áng", "Pa ủ", "Ya ly"): capitalize every word of a proper name, but
    keep "Nông trường" (a state-farm town's name) as officially written."""
    words = name.split(" ")
    out = []
    for i, w in enumerate(words):
        if w and w[0].islower() and not (w == "trường" and i > 0 and words[i - 1] == "Nông"):
            w = w[0].upper() + w[1:]
        out.append(w)
    return " ".join(out)


def split_type(full: str, types: list[str], fallback: str | None = None) -> tuple[str, str]:
    """'Phường Phúc La' -> ('phường', 'Phúc La'); the type word is matched case-insensitively.
    Without a type word in the name, the source's type column (`fallback`) gives it."""
    full = norm(full)
    low = full.lower()
    for t in types:
        if low.startswith(t + " "):
            return t, capitalize_words(full[len(t) + 1:])
    if fallback is not None:
        return norm(fallback).lower(), capitalize_words(full)
    raise ValueError(f"no type word in {full!r}")


def coord(v) -> str:
    if v is None or v == "":
        return ""
    return f"{float(v):.4f}"


# ---------------------------------------------------------------- sources

def package_dir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {name} is not installed: see the pip command at the top of this script")
    return list(spec.submodule_search_locations)[0]


def versions() -> dict[str, str]:
    got = {name: importlib.metadata.version(name) for name in PINNED}
    for name, want in PINNED.items():
        if got[name] != want:
            print(f"warning: {name} {got[name]} installed, the script was written for {want}",
                  file=sys.stderr)
    return got


def load_units(vau_dir: str):
    db = sqlite3.connect(os.path.join(vau_dir, "data", "dataset.db"))
    db.row_factory = sqlite3.Row
    old = [dict(r) for r in db.execute("SELECT DISTINCT * FROM admin_units_legacy")]
    new = [dict(r) for r in db.execute("SELECT DISTINCT * FROM admin_units")]
    with open(os.path.join(vau_dir, "data", "converter_2025.json"), encoding="utf-8") as f:
        conv = json.load(f)
    return old, new, conv


def old_to_new(conv) -> dict[str, tuple[str, str, list[str]]]:
    """old 'province_district_ward' key -> (new province key, new ward key, other new ward keys).

    The package's converter does the same: a unit that went whole into one new unit is in
    DICT_PROVINCE_WARD_NO_DIVIDED; one split between several is in DICT_PROVINCE_WARD_DIVIDED,
    where, for an address without a street, the converter takes the isDefaultNewWard one."""
    out: dict[str, tuple[str, str, list[str]]] = {}
    for pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for wkey, olds in wards.items():
            for okey in olds:
                prev = out.get(okey)
                if prev and prev[:2] != (pkey, wkey):
                    raise ValueError(f"{okey} maps to two new units")
                out[okey] = (pkey, wkey, [])
    for pkey, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for okey, parts in olds.items():
            defaults = [p["newWardKey"] for p in parts if p["isDefaultNewWard"]]
            if len(defaults) != 1:
                raise ValueError(f"{okey}: {len(defaults)} default new units")
            others = [p["newWardKey"] for p in parts if not p["isDefaultNewWard"]]
            out[okey] = (pkey, defaults[0], others)
    return out


# ---------------------------------------------------------------- build

def build():
    got = versions()
    vau_dir = package_dir("vietnamadminunits")
    old, new, conv = load_units(vau_dir)
    mapping = old_to_new(conv)

    rows: list[list[str]] = []
    new_by_key: dict[tuple[str, str], dict] = {}
    for r in new:
        utype, uname = split_type(r["ward"], UNIT_TYPES, r["wardType"])
        ptype, pname = split_type(r["province"], PROVINCE_TYPES)
        row = {
            "code": r["wardCode"], "era": "new", "unit_type": utype, "unit_name": uname,
            "district_type": "", "district_name": "", "province_name": pname,
            "province_code": r["provinceCode"], "province_type": ptype,
            "lat": coord(r["wardLat"]), "lon": coord(r["wardLon"]),
            "new_code": "", "new_name": "", "new_also": "",
        }
        key = (r["provinceKey"], r["wardKey"])
        if key in new_by_key:
            raise ValueError(f"duplicate new key {key}")
        new_by_key[key] = row
        rows.append([row[c] for c in COLUMNS])

    skipped = []
    split_units = 0
    for r in old:
        if not r["ward"]:
            # The island districts (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) had no
            # grassroots unit under them.
            skipped.append(norm(r["district"]) + ", " + norm(r["province"]))
            continue
        utype, uname = split_type(r["ward"], UNIT_TYPES, r["wardType"])
        dtype, dname = split_type(r["district"], DISTRICT_TYPES, r["districtType"])
        ptype, pname = split_type(r["province"], PROVINCE_TYPES)
        okey = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"
        if okey not in mapping:
            raise ValueError(f"old unit {okey} has no successor in the package's mapping")
        pkey, wkey, others = mapping[okey]
        succ = new_by_key[(pkey, wkey)]
        also = [new_by_key[(pkey, k)]["code"] for k in others]
        split_units += bool(also)
        rows.append([
            r["wardCode"], "old", utype, uname, dtype, dname, pname, r["provinceCode"], ptype,
            coord(r["wardLat"]), coord(r["wardLon"]), succ["code"],
            f"{succ['unit_type']} {succ['unit_name']}", ";".join(also),
        ])

    rows.sort(key=lambda row: (row[1] != "old", row[0]))
    seen = set()
    for row in rows:
        for field in row:
            if "\t" in field or "\n" in field or "\r" in field:
                raise ValueError(f"separator inside a field: {row}")
            if field != unicodedata.normalize("NFC", field):
                raise ValueError(f"not NFC: {row}")
        if not row[0] or (row[1], row[0]) in seen:
            raise ValueError(f"missing or duplicate code: {row}")
        seen.add((row[1], row[0]))

    text = "\t".join(COLUMNS) + "\n" + "".join("\t".join(row) + "\n" for row in rows)
    raw = text.encode("utf-8")
    packed = zstandard.ZstdCompressor(level=19, write_checksum=True).compress(raw)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "units.csv.zst"), "wb") as f:
        f.write(packed)

    counts = Counter(row[1] for row in rows)
    types = Counter((row[1], row[2]) for row in rows)
    with_coords = Counter(row[1] for row in rows if row[9])
    cross = cross_check(rows)
    write_source_md(got, counts, types, with_coords, split_units, skipped, cross, len(raw), len(packed))
    print(f"wrote {len(rows)} rows ({counts['old']} old, {counts['new']} new), "
          f"{len(raw)} bytes of text, {len(packed)} compressed")


def cross_check(rows) -> dict:
    """Compares the new units with vietnam-provinces (code and name, tone placement aside)."""
    try:
        vp_dir = package_dir("vietnam_provinces")
    except SystemExit:
        return {}
    with open(os.path.join(vp_dir, "data", "flat-divisions.json"), encoding="utf-8") as f:
        vp = json.load(f)
    vp_by_code = {f"{int(d['code']):05d}": norm(d["name"]).lower() for d in vp}
    ours = {row[0]: f"{row[2]} {row[3]}".lower() for row in rows if row[1] == "new"}
    same = sum(1 for c, n in ours.items() if vp_by_code.get(c) == n)
    other_code = sum(1 for c in ours if c not in vp_by_code)
    other_name = sum(1 for c, n in ours.items() if c in vp_by_code and vp_by_code[c] != n)
    return {"vp_units": len(vp), "same": same, "code_differs": other_code, "name_differs": other_name}


def write_source_md(got, counts, types, with_coords, split_units, skipped, cross, raw_len, packed_len):
    today = datetime.date.today().isoformat()
    type_lines = "\n".join(
        f"| {era} | {t} | {n} |" for (era, t), n in sorted(types.items(), key=lambda x: (x[0][0] != "old", -x[1]))
    )
    cross_text = (
        f"Of the {counts['new']} new units here, {cross['same']} have the same code and name in "
        f"vietnam-provinces (which has {cross['vp_units']}); {cross['code_differs']} carry a code that "
        f"vietnam-provinces gives to no unit (it numbers them otherwise; its README says its names and "
        f"codes follow the GSO's draft list), and for {cross['name_differs']} the same code names "
        f"another unit there. This file keeps the codes of `vietnamadminunits`, which its old → new "
        f"mapping uses; which numbering is final is not checked here."
        if cross else "vietnam-provinces was not installed: no cross-check."
    )
    md = f"""# Bundled gazetteer: Vietnamese grassroots administrative units

`units.csv.zst` is built by `scripts/build_gazetteer.py` and read by `src/gazetteer.rs`.
Do not edit it by hand: rebuild it.

## Source

- PyPI package **vietnamadminunits {got['vietnamadminunits']}** (Tran Ngoc Minh Hieu): its
  `data/dataset.db` (tables `admin_units_legacy`, the 63-province list before 1 July 2025, and
  `admin_units`, the 34-province list since) and `data/converter_2025.json` (its old → new
  mapping). Licence as the package states it: **MIT License**, "Copyright (c) 2025 Tran Ngoc
  Minh Hieu" (the `LICENSE` file in its wheel and the classifier "License :: OSI Approved ::
  MIT License"). Coordinates are the package's points for the units, not boundaries, and
  approximate: some neighbouring old units share one point.
- PyPI package **vietnam-provinces {got['vietnam-provinces']}** (Nguyễn Hồng Quân; names and codes from the
  General Statistics Office of Viet Nam, as its README says; its wheel states no licence):
  read only to cross-check the new units, nothing of it is shipped. {cross_text}
- Compressed with zstandard {got['zstandard']} (level 19).

Built on {today}.

## Contents

{counts['old']} old-era units (before 2025-07-01) and {counts['new']} new-era units, {counts['old'] + counts['new']} rows;
{raw_len:,} bytes of text, {packed_len:,} bytes compressed.

| era | unit_type | rows |
|---|---|---|
{type_lines}

Coordinates: {with_coords['old']} old and {with_coords['new']} new units have a point.
Every old unit has a successor (`new_code`, `new_name`); {split_units} old units were split
between several new units: `new_code` is the one the package's converter picks for an address
without a street, `new_also` lists the others.

Not included: the district-level island units with no grassroots unit under them
({'; '.join(skipped)}); units abolished or merged before the package's legacy list
(it is the list as it stood just before 1 July 2025, after the 2023–2025 mergers of
grassroots units), so a page from, say, 2021 can name a unit that is not here.

## Format

Tab-separated UTF-8 with a header line, zstd-compressed; no field holds a tab or a line
break. Columns: `{'`, `'.join(COLUMNS)}`. Names are NFC with the tone placement of
`shared/CONTRACT.md` ("hòa", "thủy"), type words lowercase and separate from the names; the
few syllables the package writes in lowercase ("Đồng ý", "Pa ủ") are capitalized. The type word
comes from the official name where the package's type column disagrees with it (7 units, e.g.
"Phường 5" of Phú Nhuận typed "Xã"). The script's docstring describes each column.

## Rebuild

```
python3 -m venv /tmp/gaz-venv
/tmp/gaz-venv/bin/pip install vietnamadminunits==1.0.4 vietnam-provinces==2025.10.1 zstandard==0.25.0
/tmp/gaz-venv/bin/python scripts/build_gazetteer.py
```

The script rewrites `units.csv.zst` and this file; then run `cargo test --lib gazetteer`.
"""
    with open(os.path.join(OUT_DIR, "SOURCE.md"), "w", encoding="utf-8") as f:
        f.write(md)


if __name__ == "__main__":
    build()
