//! Real units for the pages, drawn from the bundled gazetteer
//! (`pipelines/gazetteer/units.csv.zst`, see its SOURCE.md), before and after the
//! July 2025 reform: a page's meeting resolves to a unit that exists.
//!
//! Only units whose names the pipeline's rules can read in running text are
//! kept: names of one to three capitalised syllables, none of them a word that
//! ends a unit name in `pipelines/lexicon/meetings.toml` (`name_stop_words`:
//! "phường Đồng Tâm" reads as a unit named nothing), no number ("Phường 5");
//! provinces of the lexicon's list whose names pass the same test (not "Đồng
//! Tháp", "Bà Rịa - Vũng Tàu"), and districts too. The
//! corpus tests what the rules do on ordinary names, not these known limits
//! (pipelines/corpus/README.md counts what is left out).

use std::collections::{BTreeSet, HashMap};

use super::data::Templates;
use super::CorpusError;

pub const GAZETTEER_ZST: &[u8] = include_bytes!("../../pipelines/gazetteer/units.csv.zst");

/// A unit a page can be about.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// `phường`, `xã`, `thị trấn`.
    pub unit_type: String,
    pub unit_name: String,
    /// Old era only: `huyện`, `quận`, `thị xã`, `thành phố`, and the name.
    pub district_type: String,
    pub district_name: String,
    pub province_name: String,
    /// `tỉnh` or `thành phố`.
    pub province_type: String,
    /// No toned capital letter anywhere in the names (TCVN3 has no code for them).
    pub tcvn3_safe: bool,
    /// Another tỉnh has a unit of this era, type and name (and, before the
    /// reform, under a district of the same type): a page that names no
    /// place above the unit leaves it unresolved (CONTRACT.md: `province`
    /// null) and its people waiting for a province.
    pub namesake_in_other_province: bool,
}

/// The units of each era that pages may use.
#[derive(Debug)]
pub struct Units {
    pub old: Vec<Unit>,
    pub new: Vec<Unit>,
    /// Rows of the gazetteer left out by the filter, for the README's count.
    pub skipped: usize,
}

/// A letter that TCVN3 cannot write: a capital with a tone mark.
pub fn has_toned_capital(s: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    s.chars()
        .any(|c| c.is_uppercase() && c.to_string().nfd().any(crate::vntext::tone::is_tone_mark))
}

fn syllable_ok(w: &str, stop: &[String]) -> bool {
    let mut cs = w.chars();
    let first_upper = cs.next().is_some_and(char::is_uppercase);
    first_upper && cs.all(char::is_lowercase) && w.chars().count() <= 7 && !stop.iter().any(|s| s == w)
}

/// A name the rules read as one unit or place name.
pub fn readable_name(name: &str, stop: &[String]) -> bool {
    let words: Vec<&str> = name.split(' ').collect();
    (1..=3).contains(&words.len()) && words.iter().all(|w| syllable_ok(w, stop))
}

impl Units {
    /// The units pages may use; with `all`, also those whose names the rules
    /// cannot read (a test of those rules rather than of the rest).
    pub fn load(t: &Templates, all: bool) -> Result<Units, CorpusError> {
        let raw = zstd::stream::decode_all(GAZETTEER_ZST)
            .map_err(|e| CorpusError::Data(format!("the bundled gazetteer is not valid zstd: {e}")))?;
        let text = String::from_utf8(raw)
            .map_err(|e| CorpusError::Data(format!("the bundled gazetteer is not UTF-8: {e}")))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .ok_or_else(|| CorpusError::Data(format!("the bundled gazetteer has no column {name}")))
        };
        let (c_era, c_type, c_name) = (col("era")?, col("unit_type")?, col("unit_name")?);
        let (c_dtype, c_dname) = (col("district_type")?, col("district_name")?);
        let (c_pname, c_ptype) = (col("province_name")?, col("province_type")?);
        let stop = &t.name_stop_words;
        let mut units = Units {
            old: Vec::new(),
            new: Vec::new(),
            skipped: 0,
        };
        // The tỉnh of each (era, type, name, district type), over every row: a
        // namesake the filter below leaves out still makes a page ambiguous.
        // The district type is in the key because the gazetteer narrows by the
        // party committee a page names ("Huyện ủy" keeps units under a huyện).
        fn field<'a>(f: &[&'a str], i: usize) -> &'a str {
            f.get(i).copied().unwrap_or("")
        }
        let name_cols = [c_era, c_type, c_name, c_dtype];
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
        let mut tinh_of: HashMap<[&str; 4], BTreeSet<&str>> = HashMap::new();
        for f in rows.iter().filter(|f| field(f, c_ptype) == "tỉnh") {
            tinh_of
                .entry(name_cols.map(|i| field(f, i)))
                .or_default()
                .insert(field(f, c_pname));
        }
        for f in &rows {
            let get = |i: usize| field(f, i);
            let era = get(c_era);
            let u = Unit {
                unit_type: get(c_type).to_string(),
                unit_name: get(c_name).to_string(),
                district_type: get(c_dtype).to_string(),
                district_name: get(c_dname).to_string(),
                province_name: get(c_pname).to_string(),
                province_type: get(c_ptype).to_string(),
                tcvn3_safe: false,
                namesake_in_other_province: false,
            };
            let type_ok = ["phường", "xã", "thị trấn"].contains(&u.unit_type.as_str());
            let readable = |name: &str| all || readable_name(name, stop);
            let district_ok = era == "new"
                || (["quận", "huyện", "thị xã", "thành phố"].contains(&u.district_type.as_str())
                    && readable(&u.district_name)
                    && u.district_name != u.unit_name);
            let province_ok = t.provinces.contains(&u.province_name)
                && readable(&u.province_name)
                && ["tỉnh", "thành phố"].contains(&u.province_type.as_str());
            if !(type_ok && district_ok && province_ok && readable(&u.unit_name)) {
                units.skipped += 1;
                continue;
            }
            let namesake_in_other_province = u.province_type == "tỉnh"
                && tinh_of
                    .get(&name_cols.map(|i| field(f, i)))
                    .is_some_and(|p| p.len() > 1);
            let u = Unit {
                tcvn3_safe: ![&u.unit_name, &u.district_name, &u.province_name]
                    .iter()
                    .any(|s| has_toned_capital(s)),
                namesake_in_other_province,
                ..u
            };
            match era {
                "old" => units.old.push(u),
                "new" => units.new.push(u),
                _ => units.skipped += 1,
            }
        }
        if units.old.is_empty() || units.new.is_empty() || !units.old.iter().any(|u| u.tcvn3_safe) {
            return Err(CorpusError::Data(
                "the bundled gazetteer leaves no usable unit".into(),
            ));
        }
        Ok(units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_rules_read() {
        let stop: Vec<String> = ["Đồng", "Thành"].iter().map(|s| s.to_string()).collect();
        assert!(readable_name("Phúc La", &stop));
        assert!(readable_name("Trần Hưng Đạo", &stop));
        assert!(!readable_name("Đồng Tâm", &stop));
        assert!(!readable_name("5", &stop));
        assert!(!readable_name("Ea H'leo", &stop));
        assert!(has_toned_capital("Ý Yên"));
        assert!(!has_toned_capital("Đan Phượng"));
    }

    #[test]
    fn both_eras_have_units() {
        let t = Templates::load().unwrap();
        let u = Units::load(&t, false).unwrap();
        assert!(u.old.len() > 5000, "{} old units", u.old.len());
        assert!(u.new.len() > 1500, "{} new units", u.new.len());
        assert!(u.new.iter().all(|x| x.district_name.is_empty()));
        let all = Units::load(&t, true).unwrap();
        assert!(all.old.len() > u.old.len() && all.new.len() > u.new.len());
        assert!(all.old.iter().any(|x| x.unit_name == "Tân Thành"));
        assert!(!u.old.iter().any(|x| x.unit_name == "Tân Thành"));
    }
}
