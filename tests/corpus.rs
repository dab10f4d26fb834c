//! The synthetic corpus as a large test: `hoinghi generate` writes a few hundred
//! pages in every storage form with the rows expected from each, `hoinghi run`
//! reads them, and the published tables are compared with those rows the way
//! shared/eval/score.py compares them (simplified: the same matching of people,
//! titles, figures and awards, the same meeting fields).
//!
//! The floors are what the pipeline measured on this corpus when the test was
//! written (`cargo test --test corpus -- --nocapture` prints the figures and the
//! first misses): exact where it held, just below elsewhere. Raise them when
//! extraction improves; pipelines/corpus/README.md lists what keeps them below 1.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use arrow_array::{
    Array, Date32Array, Float64Array, Int32Array, Int64Array, Int8Array, ListArray, StringArray,
};
use arrow_schema::DataType;
use common::*;
use hoinghi::lexicon::Lexicon;
use hoinghi::vntext::canonical_key;
use serde_json::Value;

/// A cell of a published table.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Str(String),
    Num(f64),
    List(Vec<String>),
    Null,
}

impl Cell {
    fn str(&self) -> Option<&str> {
        match self {
            Cell::Str(s) => Some(s),
            _ => None,
        }
    }
    fn num(&self) -> Option<f64> {
        match self {
            Cell::Num(v) => Some(*v),
            _ => None,
        }
    }
    fn list(&self) -> Vec<String> {
        match self {
            Cell::List(v) => v.clone(),
            _ => Vec::new(),
        }
    }
}

type Row = HashMap<String, Cell>;

/// Every row of a table of the current snapshot, the columns this test reads.
fn table(out: &Path, name: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for b in read_table(out, name) {
        let schema = b.schema();
        let mut batch: Vec<Row> = (0..b.num_rows()).map(|_| Row::new()).collect();
        for (f, col) in schema.fields().iter().zip(b.columns()) {
            for (i, row) in batch.iter_mut().enumerate() {
                let cell = if col.is_null(i) {
                    Cell::Null
                } else {
                    match f.data_type() {
                        DataType::Utf8 => Cell::Str(
                            col.as_any()
                                .downcast_ref::<StringArray>()
                                .unwrap()
                                .value(i)
                                .into(),
                        ),
                        DataType::Float64 => {
                            Cell::Num(col.as_any().downcast_ref::<Float64Array>().unwrap().value(i))
                        }
                        DataType::Int64 => {
                            Cell::Num(col.as_any().downcast_ref::<Int64Array>().unwrap().value(i) as f64)
                        }
                        DataType::Int32 => {
                            Cell::Num(col.as_any().downcast_ref::<Int32Array>().unwrap().value(i) as f64)
                        }
                        DataType::Int8 => {
                            Cell::Num(col.as_any().downcast_ref::<Int8Array>().unwrap().value(i) as f64)
                        }
                        DataType::Date32 => {
                            let d = col
                                .as_any()
                                .downcast_ref::<Date32Array>()
                                .unwrap()
                                .value_as_date(i);
                            Cell::Str(d.unwrap().format("%Y-%m-%d").to_string())
                        }
                        DataType::List(_) => {
                            let l = col.as_any().downcast_ref::<ListArray>().unwrap().value(i);
                            let s = l.as_any().downcast_ref::<StringArray>().unwrap();
                            Cell::List((0..s.len()).map(|k| s.value(k).to_string()).collect())
                        }
                        _ => Cell::Null,
                    }
                };
                row.insert(f.name().clone(), cell);
            }
        }
        rows.extend(batch);
    }
    rows
}

/// Lowercase, one tone placement, abbreviations expanded, no punctuation.
fn canon(lx: &Lexicon, s: &str) -> String {
    let expanded = lx.expand_abbreviations(s);
    canonical_key(&expanded)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A place without its type word: "TP. Hà Nội" and "Hà Nội" agree.
fn place(lx: &Lexicon, s: &str) -> String {
    let c = canon(lx, s);
    for w in ["thành phố ", "tỉnh ", "quận ", "huyện ", "thị xã "] {
        if let Some(rest) = c.strip_prefix(w) {
            return rest.to_string();
        }
    }
    c
}

/// True positives, false positives, false negatives.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Tally {
    fn add(&mut self, tp: usize, fp: usize, fn_: usize) {
        self.tp += tp;
        self.fp += fp;
        self.fn_ += fn_;
    }
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

/// score.py's title match: equal, or one a prefix of the other by at most 3 words.
fn title_match(a: &str, b: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    !short.is_empty() && long[..short.len()] == short[..] && long.len() - short.len() <= 3
}

fn count_unit(u: &str) -> &str {
    match u {
        "person" | "party_member" | "household" | "organization" | "party_cell" | "goal" | "project"
        | "count" => "count",
        u => u,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6_f64.max(1e-6 * b.abs())
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_generated_corpus_reads_back_as_its_expected_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let out = tmp.path().join("out");
    // 300 documents; 20 per thousand bad gives 6, one of each kind.
    let g = hoinghi(&[
        "generate",
        "--out",
        corpus.to_str().unwrap(),
        "--pages",
        "300",
        "--seed",
        "2024",
        "--bad",
        "20",
    ]);
    assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));
    run_ok(&corpus.join("pages"), &out, &[]);

    let lx = Lexicon::load(&root().join("pipelines/lexicon")).unwrap();
    let expected = jsonl(&corpus.join("expected.jsonl"));
    let bad = jsonl(&corpus.join("quarantined.jsonl"));
    assert_eq!(expected.len() + bad.len(), 300);
    let kinds: BTreeSet<&str> = bad.iter().map(|b| b["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 6, "one bad input of each kind: {kinds:?}");

    // Documents: every one present, the good ones read, exactly the bad ones set aside.
    let docs = table(&out, "documents");
    let by_source: BTreeMap<String, &Row> = docs
        .iter()
        .map(|d| (d["source"].str().unwrap().to_string(), d))
        .collect();
    assert_eq!(docs.len(), 300, "one documents row per document");
    for e in &expected {
        let src = e["source"].as_str().unwrap();
        let d = by_source
            .get(src)
            .unwrap_or_else(|| panic!("{src} is not in documents"));
        assert_eq!(
            d["status"].str(),
            Some("ok"),
            "{src} was set aside: {:?}",
            d["error"].str()
        );
    }
    for b in &bad {
        let src = b["source"].as_str().unwrap();
        let d = by_source
            .get(src)
            .unwrap_or_else(|| panic!("bad input {src} is not in documents"));
        assert_eq!(d["status"].str(), Some("quarantined"), "{src}");
        let err = d["error"].str().unwrap();
        let want = b["error_contains"].as_str().unwrap();
        assert!(err.contains(want), "{src}: error {err:?} lacks {want:?}");
    }
    let quarantined = docs
        .iter()
        .filter(|d| d["status"].str() == Some("quarantined"))
        .count();
    assert_eq!(quarantined, bad.len());

    // The rows of each document.
    let group = |name: &str| {
        let mut m: HashMap<String, Vec<Row>> = HashMap::new();
        for r in table(&out, name) {
            m.entry(r["doc_id"].str().unwrap().to_string())
                .or_default()
                .push(r);
        }
        m
    };
    let (meetings, mentions, metrics, awards) = (
        group("meetings"),
        group("person_mentions"),
        group("metrics"),
        group("awards"),
    );
    let none: Vec<Row> = Vec::new();
    let (mut meet_ok, mut meet_n) = (0usize, 0usize);
    let (mut people, mut roles, mut titles, mut figures, mut award_t) = (
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
    );
    let (mut kind_ok, mut kind_n, mut ind_ok, mut ind_n) = (0usize, 0usize, 0usize, 0usize);
    let mut misses: Vec<String> = Vec::new();
    for e in &expected {
        let src = e["source"].as_str().unwrap();
        let doc_id = by_source[src]["doc_id"].str().unwrap().to_string();
        let mine = |m: &'_ HashMap<String, Vec<Row>>| m.get(&doc_id).unwrap_or(&none).clone();

        // Meeting fields.
        let got = mine(&meetings);
        assert_eq!(got.len(), 1, "{src}: one meeting");
        for (field, want) in e["meeting"].as_object().unwrap() {
            let have = &got[0][field];
            let same = match (field.as_str(), want) {
                ("city" | "province", Value::String(w)) => {
                    have.str().map(|h| place(&lx, h)) == Some(place(&lx, w))
                }
                (_, Value::String(w)) => have.str().map(|h| canon(&lx, h)) == Some(canon(&lx, w)),
                (_, Value::Number(n)) => have.num() == n.as_f64(),
                (_, Value::Null) => *have == Cell::Null,
                _ => false,
            };
            meet_n += 1;
            meet_ok += usize::from(same);
            if !same {
                misses.push(format!("{src}: meeting.{field} {have:?}, want {want}"));
            }
        }

        // People, their roles and titles.
        let mut pred: BTreeMap<String, (BTreeSet<String>, Vec<String>)> = BTreeMap::new();
        for m in mine(&mentions) {
            let e = pred.entry(canon(&lx, m["name"].str().unwrap())).or_default();
            e.0.extend(m["roles"].list());
            e.1.extend(m["titles"].list());
        }
        let mut gold: BTreeMap<String, (BTreeSet<String>, Vec<String>)> = BTreeMap::new();
        for p in e["people"].as_array().unwrap() {
            let str_list = |k: &str| -> Vec<String> {
                p[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            };
            gold.insert(
                canon(&lx, p["name"].as_str().unwrap()),
                (str_list("roles").into_iter().collect(), str_list("titles")),
            );
        }
        let keys: BTreeSet<&String> = pred.keys().chain(gold.keys()).collect();
        for k in keys {
            let (p, g) = (pred.get(k), gold.get(k));
            people.add(
                usize::from(p.is_some() && g.is_some()),
                usize::from(g.is_none()),
                usize::from(p.is_none()),
            );
            if p.is_none() || g.is_none() {
                misses.push(format!(
                    "{src}: person {k} predicted {}, expected {}",
                    p.is_some(),
                    g.is_some()
                ));
            }
            let empty = (BTreeSet::new(), Vec::new());
            let (pr, pt) = p.unwrap_or(&empty);
            let (gr, gt) = g.unwrap_or(&empty);
            roles.add(
                pr.intersection(gr).count(),
                pr.difference(gr).count(),
                gr.difference(pr).count(),
            );
            let mut pt: Vec<String> = pt
                .iter()
                .map(|t| canon(&lx, t))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let mut gt: Vec<String> = gt
                .iter()
                .map(|t| canon(&lx, t))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let mut tp = 0;
            gt.retain(|g| match pt.iter().position(|p| title_match(p, g)) {
                Some(i) => {
                    pt.remove(i);
                    tp += 1;
                    false
                }
                None => true,
            });
            titles.add(tp, pt.len(), gt.len());
        }

        // Figures: same unit class and value.
        let mut pool = mine(&metrics);
        let mut gold_figs: Vec<&Value> = e["metrics"].as_array().unwrap().iter().collect();
        gold_figs.sort_by_key(|m| m["optional"].as_bool().unwrap_or(false));
        for gm in gold_figs {
            let optional = gm["optional"].as_bool().unwrap_or(false);
            let (gv, gu) = (gm["value"].as_f64().unwrap(), gm["unit"].as_str().unwrap());
            let hit = pool.iter().position(|p| {
                count_unit(p["unit"].str().unwrap()) == count_unit(gu) && close(p["value"].num().unwrap(), gv)
            });
            let Some(i) = hit else {
                if !optional {
                    figures.add(0, 0, 1);
                    misses.push(format!("{src}: figure {} missed", gm["text"]));
                }
                continue;
            };
            let p = pool.remove(i);
            if optional {
                continue;
            }
            figures.add(1, 0, 0);
            kind_n += 1;
            kind_ok += usize::from(p["kind"].str() == gm["kind"].as_str());
            if let Some(ind) = gm["indicator"].as_str() {
                ind_n += 1;
                ind_ok += usize::from(p["indicator"].str() == Some(ind));
            }
        }
        for p in pool {
            figures.add(0, 1, 0);
            misses.push(format!("{src}: figure {:?} extra", p["value_text"]));
        }

        // Awards: same recipient type and count.
        let mut pool = mine(&awards);
        let mut gold_awards: Vec<&Value> = e["awards"].as_array().unwrap().iter().collect();
        gold_awards.sort_by_key(|a| a["optional"].as_bool().unwrap_or(false));
        for ga in gold_awards {
            let optional = ga["optional"].as_bool().unwrap_or(false);
            let hit = pool.iter().position(|p| {
                p["recipient_type"].str() == ga["recipient_type"].as_str()
                    && p["count"].num() == ga["count"].as_f64()
            });
            match hit {
                Some(i) => {
                    pool.remove(i);
                    if !optional {
                        award_t.add(1, 0, 0);
                    }
                }
                None if !optional => {
                    award_t.add(0, 0, 1);
                    misses.push(format!(
                        "{src}: award {} {} missed",
                        ga["recipient_type"], ga["count"]
                    ));
                }
                None => {}
            }
        }
        award_t.add(0, pool.len(), 0);
    }

    let meeting_acc = meet_ok as f64 / meet_n as f64;
    let (kind_acc, ind_acc) = (kind_ok as f64 / kind_n as f64, ind_ok as f64 / ind_n as f64);
    let line = |n: &str, t: &Tally| format!("{n} P={:.3} R={:.3}", t.precision(), t.recall());
    eprintln!(
        "corpus: {}, {}, {}, {}, {}; meeting fields {meeting_acc:.3}, kind {kind_acc:.3}, indicator {ind_acc:.3}",
        line("people", &people),
        line("roles", &roles),
        line("titles", &titles),
        line("figures", &figures),
        line("awards", &award_t),
    );
    for m in misses.iter().take(40) {
        eprintln!("  {m}");
    }
    // Measured on this corpus when the test was written: people, titles, meeting
    // fields 1.000 and no figure the pages do not state; roles 0.994 / 0.994,
    // figures recall 0.996, awards 0.969 / 0.969, kind 0.987, indicator 0.981.
    // Exact where it held, else a floor just below (README.md says what is missed).
    let floors = [
        ("people precision", people.precision(), 1.0),
        ("people recall", people.recall(), 1.0),
        ("roles precision", roles.precision(), 0.99),
        ("roles recall", roles.recall(), 0.99),
        ("titles precision", titles.precision(), 1.0),
        ("titles recall", titles.recall(), 1.0),
        ("figures precision", figures.precision(), 1.0),
        ("figures recall", figures.recall(), 0.99),
        ("awards precision", award_t.precision(), 0.96),
        ("awards recall", award_t.recall(), 0.96),
        ("meeting fields accuracy", meeting_acc, 1.0),
        ("figure kind accuracy", kind_acc, 0.98),
        ("indicator accuracy", ind_acc, 0.975),
    ];
    for (what, got, floor) in floors {
        assert!(got >= floor, "{what} {got:.4} is below its floor {floor}");
    }
}
