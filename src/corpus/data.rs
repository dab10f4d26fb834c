//! The corpus templates (`pipelines/corpus/*.toml`, compiled into the binary so
//! a corpus does not depend on the working folder), parsed and checked.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::CorpusError;

pub const NAMES_TOML: &str = include_str!("../../pipelines/corpus/names.toml");
pub const CAST_TOML: &str = include_str!("../../pipelines/corpus/cast.toml");
pub const FRAGMENTS_TOML: &str = include_str!("../../pipelines/corpus/fragments.toml");
/// The pipeline's own lexicon: the words that end a unit name and the province
/// list, so the units drawn are ones its rules can read (see `units.rs`).
pub const MEETINGS_TOML: &str = include_str!("../../pipelines/lexicon/meetings.toml");
pub const PEOPLE_TOML: &str = include_str!("../../pipelines/lexicon/people.toml");
pub const TITLES_TOML: &str = include_str!("../../pipelines/lexicon/titles.toml");

fn data_err(file: &str, msg: impl std::fmt::Display) -> CorpusError {
    CorpusError::Data(format!("pipelines/corpus/{file}: {msg}"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamesFile {
    pub surnames: Vec<(String, f64)>,
    pub middle_male: Vec<String>,
    pub middle_female: Vec<String>,
    pub given_male: Vec<String>,
    pub given_female: Vec<String>,
    pub pen_first: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CastFile {
    cast: BTreeMap<String, CastDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CastDef {
    titles: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FragmentsFile {
    page: PageDef,
    plan: Vec<PlanDef>,
    fragment: Vec<FragmentDef>,
    filler: FillerDef,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageDef {
    vars: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanDef {
    pub id: String,
    #[serde(rename = "type")]
    pub meeting_type: String,
    pub weight: f64,
    pub event: String,
    pub slots: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FragmentDef {
    slot: String,
    #[serde(default)]
    plans: Vec<String>,
    #[serde(default)]
    units: Vec<String>,
    #[serde(default)]
    caption: bool,
    text: String,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default)]
    metrics: Vec<MetricDef>,
    #[serde(default)]
    awards: Vec<AwardDef>,
    #[serde(default)]
    roles: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricDef {
    pub text: String,
    pub value: String,
    pub unit: String,
    pub kind: String,
    #[serde(default)]
    pub indicator: Option<String>,
    #[serde(default)]
    pub qualifier: Option<String>,
    #[serde(default)]
    pub denominator: Option<String>,
    #[serde(default)]
    pub value_high: Option<String>,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardDef {
    #[serde(default)]
    pub giver: Option<String>,
    pub award: String,
    pub recipient_type: String,
    #[serde(default)]
    pub count: Option<String>,
    #[serde(default)]
    pub person: Option<String>,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FillerDef {
    economy: Vec<String>,
    social: Vec<String>,
    party: Vec<String>,
    speech: Vec<String>,
    themes: Vec<String>,
    streets: Vec<String>,
}

/// A figure variable: how its value is drawn and written.
#[derive(Debug, Clone, PartialEq)]
pub enum VarSpec {
    /// Millions of đồng, written in one of the usual ways.
    Money {
        lo: i64,
        hi: i64,
    },
    /// `dec` decimals of tỷ / triệu đồng.
    Ty {
        lo: f64,
        hi: f64,
        dec: u32,
    },
    Trieu {
        lo: f64,
        hi: f64,
        dec: u32,
    },
    Nghin {
        lo: i64,
        hi: i64,
    },
    Pct {
        lo: f64,
        hi: f64,
        dec: u32,
    },
    Num {
        lo: f64,
        hi: f64,
        dec: u32,
    },
    Int0 {
        lo: i64,
        hi: i64,
    },
    Part {
        of: String,
        lo: f64,
        hi: f64,
    },
    RangePct {
        lo: i64,
        hi: i64,
    },
    RangeTrieu {
        lo: i64,
        hi: i64,
    },
}

impl VarSpec {
    pub fn parse(spec: &str) -> Result<VarSpec, String> {
        let w: Vec<&str> = spec.split_whitespace().collect();
        let f = |i: usize| -> Result<f64, String> {
            w.get(i)
                .ok_or_else(|| format!("{spec:?} lacks argument {i}"))?
                .parse::<f64>()
                .map_err(|e| format!("{spec:?}: {e}"))
        };
        let dec = |i: usize| -> Result<u32, String> {
            match w.get(i) {
                None => Ok(0),
                Some(s) => s.parse::<u32>().map_err(|e| format!("{spec:?}: {e}")),
            }
        };
        let spec = match w.first().copied() {
            Some("money") => VarSpec::Money {
                lo: f(1)? as i64,
                hi: f(2)? as i64,
            },
            Some("ty") => VarSpec::Ty {
                lo: f(1)?,
                hi: f(2)?,
                dec: dec(3)?,
            },
            Some("trieu") => VarSpec::Trieu {
                lo: f(1)?,
                hi: f(2)?,
                dec: dec(3)?,
            },
            Some("nghin") => VarSpec::Nghin {
                lo: f(1)? as i64,
                hi: f(2)? as i64,
            },
            Some("pct") => VarSpec::Pct {
                lo: f(1)?,
                hi: f(2)?,
                dec: dec(3)?,
            },
            Some("num") => VarSpec::Num {
                lo: f(1)?,
                hi: f(2)?,
                dec: dec(3)?,
            },
            Some("int0") => VarSpec::Int0 {
                lo: f(1)? as i64,
                hi: f(2)? as i64,
            },
            Some("part") => VarSpec::Part {
                of: w
                    .get(1)
                    .ok_or_else(|| format!("{spec:?} names no variable"))?
                    .to_string(),
                lo: f(2)?,
                hi: f(3)?,
            },
            Some("rpct") => VarSpec::RangePct {
                lo: f(1)? as i64,
                hi: f(2)? as i64,
            },
            Some("rtrieu") => VarSpec::RangeTrieu {
                lo: f(1)? as i64,
                hi: f(2)? as i64,
            },
            _ => return Err(format!("unknown variable kind in {spec:?}")),
        };
        if matches!(&spec, VarSpec::Ty { dec, .. } | VarSpec::Trieu { dec, .. } if *dec > 3) {
            return Err(format!("{spec:?}: at most 3 decimals"));
        }
        Ok(spec)
    }

    /// The variable this one is a share of.
    pub fn depends_on(&self) -> Option<&str> {
        match self {
            VarSpec::Part { of, .. } => Some(of),
            _ => None,
        }
    }
}

/// A piece of template text.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Lit(String),
    Ph(String),
    Alt(Vec<String>),
}

/// Splits "a {x} b [[c|d]]" into literal, placeholder and alternative pieces.
pub fn parse_text(text: &str) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[[") {
            let end = r.find("]]").ok_or_else(|| format!("unclosed [[ in {text:?}"))?;
            if !lit.is_empty() {
                out.push(Seg::Lit(std::mem::take(&mut lit)));
            }
            let alts: Vec<String> = r[..end].split('|').map(str::to_string).collect();
            if alts.iter().any(|a| a.contains('{')) {
                return Err(format!("placeholders inside [[...]] are not supported: {text:?}"));
            }
            out.push(Seg::Alt(alts));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('{') {
            let end = r.find('}').ok_or_else(|| format!("unclosed {{ in {text:?}"))?;
            if !lit.is_empty() {
                out.push(Seg::Lit(std::mem::take(&mut lit)));
            }
            let name = &r[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("bad placeholder {{{name}}} in {text:?}"));
            }
            out.push(Seg::Ph(name.to_string()));
            rest = &r[end + 1..];
        } else {
            let c = rest.chars().next().expect("non-empty");
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !lit.is_empty() {
        out.push(Seg::Lit(lit));
    }
    Ok(out)
}

/// One fragment, ready to render.
#[derive(Debug, Clone)]
pub struct Fragment {
    pub slot: String,
    pub plans: Vec<String>,
    pub units: Vec<String>,
    pub caption: bool,
    pub text: Vec<Seg>,
    /// In an order where a share comes after what it is a share of.
    pub vars: Vec<(String, VarSpec)>,
    pub metrics: Vec<(MetricDef, Vec<Seg>)>,
    pub awards: Vec<(AwardDef, Option<Vec<Seg>>)>,
    pub roles: Vec<(String, Vec<String>)>,
}

impl Fragment {
    pub fn fits(&self, plan: &str, unit_type: &str) -> bool {
        (self.plans.is_empty() || self.plans.iter().any(|p| p == plan))
            && (self.units.is_empty() || self.units.iter().any(|u| u == unit_type))
    }
}

/// Everything the generator draws from.
#[derive(Debug)]
pub struct Templates {
    pub names: NamesFile,
    pub surname_weights: Vec<f64>,
    /// Slot -> title lists (each a list of titles, as templates).
    pub cast: BTreeMap<String, Vec<Vec<Vec<Seg>>>>,
    pub page_vars: Vec<(String, VarSpec)>,
    pub plans: Vec<PlanDef>,
    pub fragments: Vec<Fragment>,
    pub filler_economy: Vec<String>,
    pub filler_social: Vec<String>,
    pub filler_party: Vec<String>,
    pub filler_speech: Vec<String>,
    pub themes: Vec<Vec<Seg>>,
    pub streets: Vec<String>,
    /// From the pipeline's lexicon.
    pub name_stop_words: Vec<String>,
    pub provinces: Vec<String>,
    pub not_people: Vec<String>,
    pub surnames_known: Vec<String>,
    pub title_heads: Vec<String>,
}

pub const ROLES: [&str; 6] = ["chair", "attendee", "speaker", "awardee", "author", "editor"];

/// Orders variables so that a share follows its base (page variables count as known).
fn order_vars(
    vars: &BTreeMap<String, String>,
    known: &[String],
    file: &str,
) -> Result<Vec<(String, VarSpec)>, CorpusError> {
    let mut pending: Vec<(String, VarSpec)> = vars
        .iter()
        .map(|(k, v)| VarSpec::parse(v).map(|s| (k.clone(), s)))
        .collect::<Result<_, _>>()
        .map_err(|e| data_err(file, e))?;
    let mut done: Vec<(String, VarSpec)> = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut i = 0;
        while i < pending.len() {
            let ready = match pending[i].1.depends_on() {
                None => true,
                Some(d) => known.iter().any(|k| k == d) || done.iter().any(|(k, _)| k == d),
            };
            if ready {
                done.push(pending.remove(i));
            } else {
                i += 1;
            }
        }
        if pending.len() == before {
            return Err(data_err(
                file,
                format!("variable {} is a share of an unknown variable", pending[0].0),
            ));
        }
    }
    Ok(done)
}

fn string_list(v: &toml::Value, key: &str, file: &str) -> Result<Vec<String>, CorpusError> {
    v.get(key)
        .and_then(|x| x.as_array())
        .ok_or_else(|| CorpusError::Data(format!("pipelines/lexicon/{file}: no list {key}")))?
        .iter()
        .map(|x| {
            x.as_str().map(str::to_string).ok_or_else(|| {
                CorpusError::Data(format!("pipelines/lexicon/{file}: {key} holds a non-string"))
            })
        })
        .collect()
}

impl Templates {
    /// Parses and checks the bundled template files.
    pub fn load() -> Result<Templates, CorpusError> {
        let names: NamesFile = toml::from_str(NAMES_TOML).map_err(|e| data_err("names.toml", e))?;
        let cast_file: CastFile = toml::from_str(CAST_TOML).map_err(|e| data_err("cast.toml", e))?;
        let frag_file: FragmentsFile =
            toml::from_str(FRAGMENTS_TOML).map_err(|e| data_err("fragments.toml", e))?;
        let meetings: toml::Value =
            toml::from_str(MEETINGS_TOML).map_err(|e| CorpusError::Data(format!("meetings.toml: {e}")))?;
        let people: toml::Value =
            toml::from_str(PEOPLE_TOML).map_err(|e| CorpusError::Data(format!("people.toml: {e}")))?;
        let titles: toml::Value =
            toml::from_str(TITLES_TOML).map_err(|e| CorpusError::Data(format!("titles.toml: {e}")))?;

        let mut cast = BTreeMap::new();
        for (slot, def) in &cast_file.cast {
            let mut lists = Vec::new();
            for t in &def.titles {
                let titles: Vec<Vec<Seg>> = t
                    .split('|')
                    .map(|x| parse_text(x.trim()))
                    .collect::<Result<_, _>>()
                    .map_err(|e| data_err("cast.toml", e))?;
                lists.push(titles);
            }
            if lists.is_empty() {
                lists.push(Vec::new());
            }
            cast.insert(slot.clone(), lists);
        }

        let page_vars = order_vars(&frag_file.page.vars, &[], "fragments.toml")?;
        let page_var_names: Vec<String> = page_vars.iter().map(|(k, _)| k.clone()).collect();
        let plan_ids: Vec<&str> = frag_file.plan.iter().map(|p| p.id.as_str()).collect();
        let mut fragments = Vec::new();
        for f in &frag_file.fragment {
            let where_ = format!(
                "fragment {:?} ({})",
                f.slot,
                f.text.chars().take(40).collect::<String>()
            );
            let err = |m: String| data_err("fragments.toml", format!("{where_}: {m}"));
            for p in &f.plans {
                if !plan_ids.contains(&p.as_str()) {
                    return Err(err(format!("unknown plan {p}")));
                }
            }
            let vars = order_vars(&f.vars, &page_var_names, "fragments.toml")?;
            let text = parse_text(&f.text).map_err(err)?;
            let mut metrics = Vec::new();
            for m in &f.metrics {
                // A unit of CONTRACT.md (the lexicon's list), and a real one: a
                // template never expects "other".
                if m.unit == "other" || !crate::lexicon::METRIC_UNITS.contains(&m.unit.as_str()) {
                    return Err(err(format!("unknown unit {}", m.unit)));
                }
                if m.kind != "actual" && m.kind != "target" {
                    return Err(err(format!("unknown kind {}", m.kind)));
                }
                metrics.push((m.clone(), parse_text(&m.text).map_err(err)?));
            }
            let mut awards = Vec::new();
            for a in &f.awards {
                let giver = a.giver.as_deref().map(parse_text).transpose().map_err(err)?;
                awards.push((a.clone(), giver));
            }
            let mut roles = Vec::new();
            for (slot, rs) in &f.roles {
                if !cast.contains_key(slot) {
                    return Err(err(format!("roles for unknown person {slot}")));
                }
                for r in rs {
                    if !ROLES.contains(&r.as_str()) {
                        return Err(err(format!("unknown role {r}")));
                    }
                }
                roles.push((slot.clone(), rs.clone()));
            }
            fragments.push(Fragment {
                slot: f.slot.clone(),
                plans: f.plans.clone(),
                units: f.units.clone(),
                caption: f.caption,
                text,
                vars,
                metrics,
                awards,
                roles,
            });
        }
        let themes = frag_file
            .filler
            .themes
            .iter()
            .map(|t| parse_text(t))
            .collect::<Result<_, _>>()
            .map_err(|e| data_err("fragments.toml", e))?;
        let t = Templates {
            surname_weights: names.surnames.iter().map(|(_, w)| *w).collect(),
            names,
            cast,
            page_vars,
            plans: frag_file.plan,
            fragments,
            filler_economy: frag_file.filler.economy,
            filler_social: frag_file.filler.social,
            filler_party: frag_file.filler.party,
            filler_speech: frag_file.filler.speech,
            themes,
            streets: frag_file.filler.streets,
            name_stop_words: string_list(&meetings, "name_stop_words", "meetings.toml")?,
            provinces: string_list(&meetings, "provinces", "meetings.toml")?,
            not_people: string_list(&people, "not_people", "people.toml")?,
            surnames_known: string_list(&people, "surnames", "people.toml")?,
            title_heads: string_list(&titles, "heads", "titles.toml")?,
        };
        t.check_names()?;
        Ok(t)
    }

    /// The invented names must be ones the pipeline's rules read as names: family
    /// names it knows, no given name that starts a title ("Nguyên" is "former"),
    /// and syllables short enough for a byline.
    fn check_names(&self) -> Result<(), CorpusError> {
        for (s, _) in &self.names.surnames {
            if !self.surnames_known.contains(s) {
                return Err(data_err(
                    "names.toml",
                    format!("{s} is not in people.toml surnames"),
                ));
            }
        }
        let heads: Vec<String> = self.title_heads.iter().map(|h| h.to_lowercase()).collect();
        let n = &self.names;
        for g in n.given_male.iter().chain(&n.given_female).chain(&n.pen_first) {
            if heads.contains(&g.to_lowercase()) {
                return Err(data_err(
                    "names.toml",
                    format!("{g} starts a title (titles.toml heads)"),
                ));
            }
            if g.chars().count() > 7 {
                return Err(data_err("names.toml", format!("{g} is too long for a byline")));
            }
        }
        Ok(())
    }

    /// The fragments of a slot that fit a plan and a unit type.
    pub fn candidates(&self, slot: &str, plan: &str, unit_type: &str) -> Vec<&Fragment> {
        self.fragments
            .iter()
            .filter(|f| f.slot == slot && f.fits(plan, unit_type))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_pieces() {
        assert_eq!(
            parse_text("Năm {year}, [[a|b]] x").unwrap(),
            vec![
                Seg::Lit("Năm ".into()),
                Seg::Ph("year".into()),
                Seg::Lit(", ".into()),
                Seg::Alt(vec!["a".into(), "b".into()]),
                Seg::Lit(" x".into()),
            ]
        );
        assert!(parse_text("a {b").is_err());
        assert!(parse_text("[[{x}|y]]").is_err());
    }

    #[test]
    fn var_specs() {
        assert_eq!(
            VarSpec::parse("pct 96 160 1").unwrap(),
            VarSpec::Pct {
                lo: 96.0,
                hi: 160.0,
                dec: 1
            }
        );
        assert!(VarSpec::parse("bogus 1 2").is_err());
        assert!(VarSpec::parse("num x 2").is_err());
    }

    #[test]
    fn bundled_templates_load() {
        let t = Templates::load().unwrap();
        assert!(t.plans.len() >= 6);
        assert!(t.fragments.len() > 100);
    }

    #[test]
    fn every_plan_slot_has_a_fragment_for_every_unit_type() {
        let t = Templates::load().unwrap();
        for plan in &t.plans {
            for slot in &plan.slots {
                let optional = slot.ends_with('?');
                let slot = slot.trim_end_matches('?');
                for ut in ["phường", "xã", "thị trấn"] {
                    let n = t.candidates(slot, &plan.id, ut).len();
                    assert!(
                        n > 0 || optional,
                        "plan {} slot {slot} has no fragment for {ut}",
                        plan.id
                    );
                }
            }
        }
    }

    #[test]
    fn names_are_checked_against_the_pipeline_rules() {
        let mut t = Templates::load().unwrap();
        assert!(t.check_names().is_ok());
        t.names.given_male.push("Nguyên".into());
        assert!(t
            .check_names()
            .unwrap_err()
            .to_string()
            .contains("Nguyên starts a title"));
    }
}
