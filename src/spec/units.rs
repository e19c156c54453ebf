//! Quantities with units, as written in scenario files: `250ms`, `800/s`, `99.9%`.
//!
//! Each type deserializes from a string (or, where a bare number is unambiguous,
//! a number) and explains what it expected when the text does not fit.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::limits::{MAX_DURATION_NS, MAX_PRICE_PER_HOUR};
use crate::engine::SimTime;

/// A span of simulated time written with a unit: `500us`, `4ms`, `2s`, `10m`, `1h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub SimTime);

/// A time limit, longer than zero, written with a unit: `250ms`, `2s`. Zero
/// and negative limits are refused with one message, which says that leaving
/// the field out means no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timeout(pub SimTime);

/// A rate of events written per unit of time: `800/s`, `3.6/s`, `50/m`, `2/h`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Rate {
    /// Events per second.
    pub per_sec: f64,
}

/// A fraction written as a percentage (`99.9%`) or as a plain number in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Fraction(pub f64);

/// A price per unit of time, written `0.40/h` or `290/month`; stored per hour.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Price {
    /// Currency units per hour.
    pub per_hour: f64,
}

const PRICE_EXPECTED: &str = "a price per hour like 0.40/h (or per month, like 290/month)";

/// Parses a price such as `0.40/h`; returns the reason on failure.
pub fn parse_price(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, unit) = text
        .split_once('/')
        .ok_or_else(|| format!("expected {PRICE_EXPECTED}, found `{text}`"))?;
    let value: f64 = number
        .trim()
        .trim_start_matches('$')
        .parse()
        .map_err(|_| format!("expected {PRICE_EXPECTED}, found `{text}`"))?;
    let hours = match unit.trim() {
        "h" => 1.0,
        "d" | "day" => 24.0,
        "month" => 730.0,
        other => {
            return Err(format!(
                "unknown unit `/{other}` in `{text}`: use /h, /day or /month"
            ))
        }
    };
    if !value.is_finite() || value < 0.0 {
        return Err(format!("expected a non-negative price, found `{text}`"));
    }
    let per_hour = value / hours;
    if per_hour > MAX_PRICE_PER_HOUR {
        return Err(format!(
            "`{text}` is ${per_hour:e} an hour; the most a machine may cost is ${MAX_PRICE_PER_HOUR:e} an hour"
        ));
    }
    Ok(per_hour)
}

const TIMEOUT_EXPECTED: &str =
    "a timeout longer than 0 with a unit, like 250ms (leave it out to wait as long as it takes)";

/// Parses a timeout such as `250ms`: a duration longer than zero; returns
/// the reason on failure.
pub fn parse_timeout(text: &str) -> Result<SimTime, String> {
    let refused = || format!("expected {TIMEOUT_EXPECTED}, found `{}`", text.trim());
    if text.trim_start().starts_with('-') {
        return Err(refused());
    }
    match parse_duration(text)? {
        SimTime::ZERO => Err(refused()),
        limit => Ok(limit),
    }
}

const DURATION_EXPECTED: &str = "a duration with a unit, like 500us, 4ms, 2s, 10m or 1h";
const RATE_EXPECTED: &str = "a rate like 800/s, 3.6/s or 50/m";
const FRACTION_EXPECTED: &str = "a percentage like 99.9% or a fraction between 0 and 1";

/// Writes a duration in the largest unit of a scenario file that keeps it
/// readable (`500us`, `4ms`, `1.5s`, `10m`, `2h`): the inverse of
/// [`parse_duration`] up to rounding to three significant digits.
pub fn format_duration(time: SimTime) -> String {
    let ns = time.0 as f64;
    let (value, unit) = if time == SimTime::ZERO {
        (0.0, "ms")
    } else if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "us")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else if ns < 60e9 {
        (ns / 1e9, "s")
    } else if ns < 3600e9 {
        (ns / 60e9, "m")
    } else {
        (ns / 3600e9, "h")
    };
    // Three significant digits, without trailing zeros.
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{unit}")
}

/// Writes a duration as [`format_duration`] does when that reads back as
/// the same time, and otherwise in the largest unit that holds it in whole
/// units (`999s`, not `16.6m`): for a value the user wrote, quoted back.
pub fn format_duration_exact(time: SimTime) -> String {
    let readable = format_duration(time);
    if parse_duration(&readable) == Ok(time) {
        return readable;
    }
    const UNITS: [(&str, u64); 6] = [
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ];
    let (unit, size) = UNITS
        .into_iter()
        .find(|(_, size)| time.0.is_multiple_of(*size))
        .unwrap_or(("ns", 1));
    format!("{}{unit}", time.0 / size)
}

/// Writes a large number in scientific notation with three significant
/// digits and no trailing zeros (`5e7`, `2.33e7`), as messages quote a rate
/// computed from what a file gives.
pub fn format_scientific(value: f64) -> String {
    let text = format!("{value:.2e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if mantissa.contains('.') => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exponent}")
        }
        _ => text,
    }
}

/// Returns the name a unit variant of a field's enum has in a scenario file
/// (`RoundRobin` is written `round_robin`): the snake case serde's
/// `rename_all = "snake_case"` gives it, from the variant's `Debug` name.
pub fn yaml_name(value: &impl fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let mut name = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

/// Parses a duration such as `4ms`; returns the reason on failure.
pub fn parse_duration(text: &str) -> Result<SimTime, String> {
    const UNITS: &[(&str, f64)] = &[
        ("ns", 1.0),
        ("us", 1e3),
        ("µs", 1e3),
        ("ms", 1e6),
        ("min", 60e9),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
        ("d", 86_400e9),
    ];
    let text = text.trim();
    if text == "0" {
        return Ok(SimTime::ZERO);
    }
    // Match the unit from the end, so that numbers like `1e3s` keep their exponent.
    let Some((number, nanos_per_unit)) = UNITS
        .iter()
        .find_map(|(unit, scale)| text.strip_suffix(unit).map(|n| (n, *scale)))
    else {
        let unit: String = text.chars().skip_while(|c| !c.is_alphabetic()).collect();
        return Err(if unit.is_empty() {
            format!("expected {DURATION_EXPECTED}, found `{text}`")
        } else {
            format!("unknown time unit `{unit}` in `{text}`: use ns, us, ms, s, m, h or d")
        });
    };
    let value: f64 = number.trim().parse().map_err(|_| {
        match number.find(|c: char| c.is_alphabetic() && c != 'e') {
            Some(i) => format!(
                "unknown time unit `{}` in `{text}`: use ns, us, ms, s, m, h or d",
                &text[i..]
            ),
            None => format!("expected {DURATION_EXPECTED}, found `{text}`"),
        }
    })?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("expected a non-negative duration, found `{text}`"));
    }
    let nanos = value * nanos_per_unit;
    if nanos > MAX_DURATION_NS as f64 {
        return Err(format!(
            "duration `{text}` is too long (at most {}, about 31.7 years)",
            format_duration(SimTime(MAX_DURATION_NS))
        ));
    }
    Ok(SimTime::from_nanos_f64(nanos))
}

/// Parses a rate such as `800/s`; returns the reason on failure.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, unit) = text
        .split_once('/')
        .ok_or_else(|| format!("expected {RATE_EXPECTED}, found `{text}`"))?;
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("expected {RATE_EXPECTED}, found `{text}`"))?;
    let per = match unit.trim() {
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        other => {
            return Err(format!(
                "unknown time unit `/{other}` in `{text}`: use /ms, /s, /m, /h or /d"
            ))
        }
    };
    if !value.is_finite() || value < 0.0 {
        return Err(format!("expected a non-negative rate, found `{text}`"));
    }
    Ok(value / per)
}

/// Parses a fraction such as `99.9%` or `0.999`; returns the reason on failure.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let value = match text.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => text.parse::<f64>(),
    }
    .map_err(|_| format!("expected {FRACTION_EXPECTED}, found `{text}`"))?;
    check_fraction(value).map_err(|_| format!("expected {FRACTION_EXPECTED}, found `{text}`"))
}

fn check_fraction(value: f64) -> Result<f64, ()> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(())
    }
}

/// A serde visitor that accepts a string and hands it to a parser; numbers are
/// accepted only where `number` says how to read them.
struct TextVisitor<T> {
    expected: &'static str,
    parse: fn(&str) -> Result<T, String>,
    number: Option<fn(f64) -> Result<T, String>>,
}

impl<T> Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        match self.number {
            Some(number) => number(v).map_err(E::custom),
            None => Err(E::custom(format!(
                "expected {}, found `{v}`",
                self.expected
            ))),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_f64(v as f64)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.visit_f64(v as f64)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor {
            expected: DURATION_EXPECTED,
            parse: |s| parse_duration(s).map(Duration),
            number: Some(|v| {
                if v == 0.0 {
                    Ok(Duration(SimTime::ZERO))
                } else {
                    Err(format!(
                        "expected {DURATION_EXPECTED}, found `{v}` (add a unit)"
                    ))
                }
            }),
        })
    }
}

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor {
            expected: TIMEOUT_EXPECTED,
            parse: |s| parse_timeout(s).map(Timeout),
            number: Some(|v| Err(format!("expected {TIMEOUT_EXPECTED}, found `{v}`"))),
        })
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor {
            expected: RATE_EXPECTED,
            parse: |s| parse_rate(s).map(|per_sec| Rate { per_sec }),
            number: Some(|v| Err(format!("expected {RATE_EXPECTED}, found `{v}` (add /s)"))),
        })
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor {
            expected: PRICE_EXPECTED,
            parse: |s| parse_price(s).map(|per_hour| Price { per_hour }),
            number: Some(|v| Err(format!("expected {PRICE_EXPECTED}, found `{v}` (add /h)"))),
        })
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor {
            expected: FRACTION_EXPECTED,
            parse: |s| parse_fraction(s).map(Fraction),
            number: Some(|v| {
                check_fraction(v)
                    .map(Fraction)
                    .map_err(|_| format!("expected {FRACTION_EXPECTED}, found `{v}`"))
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_back_in_a_readable_unit() {
        for (time, text) in [
            (SimTime::ZERO, "0ms"),
            (SimTime(500_000), "500us"),
            (SimTime(4_000_000), "4ms"),
            (SimTime(1_500_000_000), "1.5s"),
            (SimTime(600_000_000_000), "10m"),
            (SimTime(7_200_000_000_000), "2h"),
        ] {
            assert_eq!(format_duration(time), text);
            assert_eq!(parse_duration(text).unwrap(), time, "{text}");
        }
    }

    #[test]
    fn durations_quoted_back_are_exact() {
        assert_eq!(format_duration_exact(SimTime(999_000_000_000)), "999s");
        assert_eq!(format_duration_exact(SimTime(1_500_000_000)), "1.5s");
        assert_eq!(format_duration_exact(SimTime(3_600_000_000_000)), "1h");
        assert_eq!(format_duration_exact(SimTime(1_234_567)), "1234567ns");
    }

    #[test]
    fn large_numbers_keep_three_significant_digits() {
        assert_eq!(format_scientific(5e7), "5e7");
        assert_eq!(format_scientific(4.999999999999999e7), "5e7");
        assert_eq!(format_scientific(7.0 / 3e-7), "2.33e7");
        assert_eq!(format_scientific(1.5e8), "1.5e8");
    }

    #[test]
    fn variant_names_are_written_as_in_files() {
        #[derive(Debug)]
        enum Strategy {
            RoundRobin,
            Lru,
        }
        assert_eq!(yaml_name(&Strategy::RoundRobin), "round_robin");
        assert_eq!(yaml_name(&Strategy::Lru), "lru");
    }

    #[test]
    fn durations_parse_with_every_unit() {
        assert_eq!(parse_duration("500us").unwrap(), SimTime(500_000));
        assert_eq!(parse_duration("4ms").unwrap(), SimTime(4_000_000));
        assert_eq!(parse_duration("2s").unwrap(), SimTime(2_000_000_000));
        assert_eq!(parse_duration("10m").unwrap(), SimTime(600_000_000_000));
        assert_eq!(parse_duration("1h").unwrap(), SimTime(3_600_000_000_000));
        assert_eq!(parse_duration("0.5ms").unwrap(), SimTime(500_000));
        assert_eq!(parse_duration("0").unwrap(), SimTime(0));
        assert_eq!(parse_duration("1e3s").unwrap(), SimTime(1_000_000_000_000));
        assert_eq!(parse_duration("2min").unwrap(), SimTime(120_000_000_000));
    }

    #[test]
    fn bad_durations_say_what_was_expected() {
        assert!(parse_duration("10").unwrap_err().contains("with a unit"));
        assert!(parse_duration("10parsecs")
            .unwrap_err()
            .contains("unknown time unit"));
        assert!(parse_duration("-3s").unwrap_err().contains("non-negative"));
    }

    #[test]
    fn zero_and_negative_timeouts_are_refused_alike() {
        assert_eq!(parse_timeout("250ms").unwrap(), SimTime::from_millis(250));
        let negative = parse_timeout("-5ms").unwrap_err();
        let zero = parse_timeout("0ms").unwrap_err();
        assert_eq!(negative.replace("-5ms", "0ms"), zero);
        assert!(zero.contains("longer than 0"), "{zero}");
        assert!(parse_timeout("5").unwrap_err().contains("with a unit"));
    }

    #[test]
    fn rates_parse_per_unit() {
        assert_eq!(parse_rate("800/s").unwrap(), 800.0);
        assert_eq!(parse_rate("3.6/s").unwrap(), 3.6);
        assert_eq!(parse_rate("60/m").unwrap(), 1.0);
        assert!(parse_rate("800").is_err());
        assert!(parse_rate("800/fortnight").is_err());
    }

    #[test]
    fn prices_are_per_hour() {
        assert_eq!(parse_price("0.40/h").unwrap(), 0.40);
        assert!((parse_price("730/month").unwrap() - 1.0).abs() < 1e-12);
        assert!(parse_price("0.4").is_err());
    }

    #[test]
    fn fractions_accept_percent_or_plain() {
        assert!((parse_fraction("99.9%").unwrap() - 0.999).abs() < 1e-12);
        assert_eq!(parse_fraction("0.5").unwrap(), 0.5);
        assert!(parse_fraction("120%").is_err());
    }
}
