//! `hoinghi explain PAGE`: what was read from one page, each fact beside the
//! sentence it came from, so a user can see why a fact was or was not found.

use std::fmt::Write;

use crate::model::Extraction;

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "—".to_string(), |x| x.to_string())
}

/// A plain-text report of one page's extraction.
pub fn report(x: &Extraction) -> String {
    let mut o = String::new();
    let d = &x.document;
    let _ = writeln!(
        o,
        "document  {}  ({}, {}, {} chars)",
        d.source, d.format, d.encoding, d.n_chars
    );
    let _ = writeln!(o, "  doc_id    {}", d.doc_id);
    let _ = writeln!(
        o,
        "  status    {}{}",
        d.status,
        d.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
    );
    let _ = writeln!(o, "  title     {}", opt(&d.title));
    let _ = writeln!(o, "  author    {}", opt(&d.author));
    let published = d
        .published_at
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339());
    let _ = writeln!(o, "  published {}", opt(&published));
    let Some(m) = &x.meeting else {
        let _ = writeln!(o, "\nnothing extracted: the page is quarantined.");
        return o;
    };
    let _ = writeln!(o, "\nmeeting {}", m.meeting_id);
    let date = m
        .meeting_date
        .map(|d| format!("{d}{}", if m.year_inferred { " (year inferred)" } else { "" }));
    let _ = writeln!(o, "  date        {}   written: {}", opt(&date), opt(&m.date_text));
    let _ = writeln!(o, "  time        {}", opt(&m.time_of_day));
    let _ = writeln!(o, "  type        {}", m.meeting_type);
    let _ = writeln!(
        o,
        "  period      year {}  half {}",
        opt(&m.period_year),
        opt(&m.period_half)
    );
    let _ = writeln!(o, "  organizer   {}", opt(&m.organizer));
    let _ = writeln!(o, "  unit        {} {}", opt(&m.unit_type), opt(&m.unit_name));
    let _ = writeln!(o, "  city        {}", opt(&m.city));
    let _ = writeln!(o, "  province    {}", opt(&m.province));
    let _ = writeln!(o, "  admin_code  {}", opt(&m.admin_code));
    if m.successor_code.is_some() {
        let _ = writeln!(
            o,
            "  since 2025  {} ({})",
            opt(&m.successor_name),
            opt(&m.successor_code)
        );
    }
    for note in &x.notes {
        let _ = writeln!(o, "  note        {note}");
    }

    let _ = writeln!(o, "\npeople ({})", x.mentions.len());
    for p in &x.mentions {
        let _ = writeln!(
            o,
            "  {}  [{}]  chars {}..{}",
            p.name,
            p.roles.join(", "),
            p.char_start,
            p.char_end
        );
        for (t, raw) in p.titles.iter().zip(&p.titles_raw) {
            if t == raw {
                let _ = writeln!(o, "      title  {t}");
            } else {
                let _ = writeln!(o, "      title  {t}   (written: {raw})");
            }
        }
        let _ = writeln!(o, "      « {} »", p.evidence);
    }

    let _ = writeln!(o, "\nfigures ({})", x.figures.len());
    for f in &x.figures {
        let mut extra = String::new();
        if let Some(h) = f.value_high {
            let _ = write!(extra, " to {h}");
        }
        if let Some(dn) = f.denominator {
            let _ = write!(extra, " of {dn}");
        }
        let _ = writeln!(
            o,
            "  {:<28} = {}{} {}  [{}, {}, {}, year {}]  label: {}",
            format!("\"{}\"", f.value_text),
            f.value,
            extra,
            f.unit,
            f.indicator,
            f.kind,
            f.qualifier,
            opt(&f.period_year),
            opt(&f.label)
        );
        let _ = writeln!(o, "      « {} »", f.evidence);
    }

    let _ = writeln!(o, "\nawards ({})", x.awards.len());
    for a in &x.awards {
        let who = a
            .person_name
            .clone()
            .unwrap_or_else(|| a.recipient_type.to_string());
        let _ = writeln!(
            o,
            "  {} from {}: {} × {}",
            a.award,
            opt(&a.giver),
            opt(&a.count),
            who
        );
        let _ = writeln!(o, "      « {} »", a.evidence);
    }
    o
}
