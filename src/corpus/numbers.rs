//! Figures written the Vietnamese way ("286.412", "117,6%", "31 tỷ 275 triệu
//! đồng"), drawn from a variable's spec, with the value a reader should take.

use super::data::VarSpec;
use super::rng::Rng;

/// A drawn figure: what the page writes and what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub text: String,
    pub value: f64,
    /// Upper end of a range.
    pub hi: Option<f64>,
}

/// "1.204.556": groups of three digits separated by dots.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// `k / 10^dec` written with a decimal comma, trailing zeros dropped: (1176, 1) -> "117,6".
pub fn decimal(k: u64, dec: u32) -> String {
    let scale = 10u64.pow(dec);
    let (int, frac) = (k / scale, k % scale);
    let mut s = group(int);
    if frac > 0 {
        let f = format!("{frac:0width$}", width = dec as usize);
        s.push(',');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

fn scaled(rng: &mut Rng, lo: f64, hi: f64, dec: u32) -> u64 {
    let scale = 10f64.powi(dec as i32);
    let (a, b) = ((lo * scale).round() as i64, (hi * scale).round() as i64);
    rng.range(a.max(0), b.max(0)) as u64
}

/// Millions of đồng in one of the ways pages write money.
fn money(rng: &mut Rng, millions: u64) -> Figure {
    let style = if millions < 1000 {
        0
    } else {
        rng.weighted(&[0.35, 0.3, 0.35])
    };
    match style {
        0 => Figure {
            text: format!("{} triệu đồng", group(millions)),
            value: millions as f64 * 1e6,
            hi: None,
        },
        1 => {
            let (t, r) = (millions / 1000, millions % 1000);
            let text = if r == 0 {
                format!("{} tỷ đồng", group(t))
            } else {
                format!("{} tỷ {} triệu đồng", group(t), r)
            };
            Figure {
                text,
                value: millions as f64 * 1e6,
                hi: None,
            }
        }
        _ => {
            // Tenths or hundredths of a tỷ: "18,6 tỷ đồng", "9,86 tỷ đồng".
            let dec = if millions >= 100_000 || rng.chance(0.5) {
                1
            } else {
                2
            };
            let step = 10u64.pow(3 - dec);
            let k = (millions + step / 2) / step;
            Figure {
                text: format!("{} tỷ đồng", decimal(k, dec)),
                value: (k * step) as f64 * 1e6,
                hi: None,
            }
        }
    }
}

/// Draws a value for a spec; `base` is the value of the variable a share is of.
pub fn draw(spec: &VarSpec, rng: &mut Rng, base: Option<f64>) -> Figure {
    let plain = |text: String, value: f64| Figure {
        text,
        value,
        hi: None,
    };
    match spec {
        VarSpec::Money { lo, hi } => {
            let m = rng.range(*lo, *hi) as u64;
            money(rng, m)
        }
        VarSpec::Ty { lo, hi, dec } => {
            let k = scaled(rng, *lo, *hi, *dec);
            plain(
                format!("{} tỷ đồng", decimal(k, *dec)),
                (k * 10u64.pow(9 - dec)) as f64,
            )
        }
        VarSpec::Trieu { lo, hi, dec } => {
            let k = scaled(rng, *lo, *hi, *dec);
            plain(
                format!("{} triệu đồng", decimal(k, *dec)),
                (k * 10u64.pow(6 - dec)) as f64,
            )
        }
        VarSpec::Nghin { lo, hi } => {
            let k = rng.range(lo / 50, hi / 50).max(1) as u64 * 50;
            plain(format!("{} nghìn đồng", group(k)), (k * 1000) as f64)
        }
        VarSpec::Pct { lo, hi, dec } => {
            let k = scaled(rng, *lo, *hi, *dec);
            plain(
                format!("{}%", decimal(k, *dec)),
                k as f64 / 10f64.powi(*dec as i32),
            )
        }
        VarSpec::Num { lo, hi, dec } => {
            let k = scaled(rng, *lo, *hi, *dec);
            plain(decimal(k, *dec), k as f64 / 10f64.powi(*dec as i32))
        }
        VarSpec::Int0 { lo, hi } => {
            let n = rng.range(*lo, *hi).max(0) as u64;
            let text = if n < 10 && rng.chance(0.4) {
                format!("0{n}")
            } else {
                group(n)
            };
            plain(text, n as f64)
        }
        VarSpec::Part { lo, hi, .. } => {
            let b = base.unwrap_or(0.0).max(1.0);
            let share = lo + (hi - lo) * rng.unit();
            let n = (b * share).round().clamp(1.0, b) as u64;
            plain(group(n), n as f64)
        }
        VarSpec::RangePct { lo, hi } => {
            let a = rng.range(*lo, (hi - 1).max(*lo));
            let b = a + rng.range(1, 2);
            Figure {
                text: format!("{a} - {b}%"),
                value: a as f64,
                hi: Some(b as f64),
            }
        }
        VarSpec::RangeTrieu { lo, hi } => {
            let a = rng.range(*lo, (hi - 2).max(*lo));
            let b = a + rng.range(2, 4);
            Figure {
                text: format!("{a} - {b} triệu đồng"),
                value: a as f64 * 1e6,
                hi: Some(b as f64 * 1e6),
            }
        }
    }
}

/// "XXIV".
pub fn roman(mut n: u32) -> String {
    const TABLE: [(u32, &str); 9] = [
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (v, r) in TABLE {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers() {
        assert_eq!(group(1_204_556), "1.204.556");
        assert_eq!(group(412), "412");
        assert_eq!(decimal(1176, 1), "117,6");
        assert_eq!(decimal(1170, 1), "117");
        assert_eq!(decimal(986, 2), "9,86");
        assert_eq!(decimal(8, 2), "0,08");
        assert_eq!(decimal(12_365, 1), "1.236,5");
        assert_eq!(roman(24), "XXIV");
        assert_eq!(roman(1), "I");
    }

    #[test]
    fn money_text_and_value_agree() {
        let mut rng = Rng::new(3);
        for _ in 0..2000 {
            let f = draw(&VarSpec::Money { lo: 500, hi: 400_000 }, &mut rng, None);
            // Read the text back the way DOMAIN.md says to.
            let t = f.text.trim_end_matches(" đồng");
            let v = if let Some((ty, tr)) = t.split_once(" tỷ ") {
                ty.replace('.', "").parse::<f64>().unwrap() * 1e9
                    + tr.trim_end_matches(" triệu").parse::<f64>().unwrap() * 1e6
            } else if let Some(ty) = t.strip_suffix(" tỷ") {
                ty.replace('.', "").replace(',', ".").parse::<f64>().unwrap() * 1e9
            } else {
                t.trim_end_matches(" triệu")
                    .replace('.', "")
                    .parse::<f64>()
                    .unwrap()
                    * 1e6
            };
            assert!(
                (v - f.value).abs() < 0.5,
                "{} read {v}, drawn {}",
                f.text,
                f.value
            );
        }
    }

    #[test]
    fn shares_stay_within_their_base() {
        let mut rng = Rng::new(5);
        let spec = VarSpec::Part {
            of: "g".into(),
            lo: 0.8,
            hi: 1.0,
        };
        for _ in 0..500 {
            let f = draw(&spec, &mut rng, Some(14.0));
            assert!((1.0..=14.0).contains(&f.value));
        }
    }
}
