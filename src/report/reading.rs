//! The automatic reading of a result: a few plain sentences computed from the
//! numbers, so a reader sees the outcome before reading the table.

use super::charts::sweep::{lines, short_names, theory, Positions};
use super::data::{Comparison, Differences, SweepData, SweepPoint};
use super::format::{metric, money, percent, sig};
use super::lessons::{lessons, number, Lesson};
use crate::metrics::{Better, ScenarioResult, Unit};

/// Ratios closer to 1 than this read as "about the same".
const SAME: f64 = 1.05;
/// Utilisation from which a component is called near saturation.
const BUSY: f64 = 0.9;
/// Availability below which a sweep point is said to lose requests.
const THREE_NINES: f64 = 0.999;

/// Returns the sentences that read a comparison.
pub fn comparison(data: &Comparison) -> Vec<String> {
    let results = &data.results;
    let Some(reference) = results.first() else {
        return Vec::new();
    };
    let mut out = lesson_sentences(results, &data.focus);
    for other in results.iter().skip(1) {
        let paired = data
            .differences
            .iter()
            .find(|d| d.scenario == other.scenario);
        if let Some(sentence) = versus(other, reference, paired) {
            out.push(sentence);
        }
    }
    if results.len() > 1 {
        out.extend(bests(results));
    }
    out.extend(losses(results));
    out.extend(saturation(results));
    if results.len() > 1 {
        out.push(arrivals_sentence(data));
    }
    let replications = results.iter().map(|r| r.replications).max().unwrap_or(1);
    out.push(if replications > 1 {
        format!(
            "Figures are means over {replications} replications; ± gives the half-width \
             of their 95% confidence interval."
        )
    } else {
        "Each scenario ran once, so there are no confidence intervals; more \
         replications would show how much of each difference is noise."
            .to_string()
    });
    out
}

/// Says whether the scenarios of a comparison saw the same arrivals, and so
/// how much of their differences may be chance.
fn arrivals_sentence(data: &Comparison) -> String {
    if data.same_arrivals {
        "The scenarios saw the same arrivals (common random numbers), so their \
         differences come from the architectures, not from the luck of the draw."
            .to_string()
    } else if data.common_random_numbers {
        "The scenarios drew from the same random streams, but their traffic differs \
         (or a closed loop's arrivals follow its answers), so they saw different \
         arrivals: small differences between them may be chance."
            .to_string()
    } else {
        "Each scenario drew its own random arrivals, so small differences between \
         them may be chance."
            .to_string()
    }
}

/// Reads each lesson figure: its value in every scenario that has it, and,
/// when several have it and it has a better direction, which one is best.
fn lesson_sentences(results: &[ScenarioResult], focus: &[String]) -> Vec<String> {
    lessons(results, focus)
        .iter()
        .filter_map(|lesson| {
            let metric = lesson.metric();
            let values: Vec<(&str, f64)> = results
                .iter()
                .filter_map(|r| {
                    let value = r.figure(&lesson.path)?.value;
                    value.is_finite().then_some((r.scenario.as_str(), value))
                })
                .collect();
            let shown = |v: f64| {
                // A whole count reads with its thousands separated, as in the losses.
                let number = match lesson.measure.unit {
                    Unit::Count if v.fract() == 0.0 => count(v),
                    _ => number(lesson.measure, v),
                };
                match metric.unit.as_str() {
                    "" => number,
                    "%" => format!("{number}%"),
                    unit => format!("{number} {unit}"),
                }
            };
            let mut sentence = match values.as_slice() {
                [] => return None,
                [(_, v)] if results.len() == 1 => format!("{}: {}", title(lesson), shown(*v)),
                _ => format!(
                    "{}: {}",
                    title(lesson),
                    values
                        .iter()
                        .map(|(name, v)| format!("{} in {name}", shown(*v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let best = match lesson.measure.better {
                Better::Lower => values.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)),
                Better::Higher => values.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)),
                Better::Neither => None,
            };
            let all_equal = values.iter().all(|(_, v)| *v == values[0].1);
            if let Some((name, _)) = best.filter(|_| values.len() > 1 && !all_equal) {
                sentence.push_str(&format!(" (best: {name})"));
            }
            sentence.push('.');
            Some(sentence)
        })
        .collect()
}

/// Returns how a lesson figure opens a sentence: `Lost writes (db)`.
fn title(lesson: &Lesson) -> String {
    match lesson.path.split('.').collect::<Vec<_>>().as_slice() {
        ["components", component, rest @ ..] if !rest.is_empty() => {
            let key = rest.join(".");
            format!("{} ({component})", capital(&lesson.measure.label_for(&key)))
        }
        _ => capital(&lesson.measure.label_for(&lesson.path)),
    }
}

/// Returns `text` with its first letter in capitals.
fn capital(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Returns true if `r` answered at least the share of requests its
/// objective asks for (99.9% by default): only then does the latency of its
/// answered requests speak for the whole of it.
pub fn meets_objective(r: &ScenarioResult) -> bool {
    let target = r.value("slo.target");
    let target = if target.is_finite() {
        target
    } else {
        THREE_NINES
    };
    r.value("availability") >= target
}

/// Compares the p99 and the price of `s` with those of `reference`, says
/// when one of them misses the availability objective (a latency says
/// nothing of the requests that got no answer), and whether the gap in p99
/// is beyond noise: by the paired interval when there is one, otherwise by
/// the overlap of the two intervals.
fn versus(
    s: &ScenarioResult,
    reference: &ScenarioResult,
    paired: Option<&Differences>,
) -> Option<String> {
    let (p, q) = (s.value("latency_ms.p99"), reference.value("latency_ms.p99"));
    if !(p > 0.0 && q > 0.0) {
        return None;
    }
    let ratio = q / p;
    let mut sentence = if ratio >= SAME {
        format!(
            "{} has {}× lower p99 than {}",
            s.scenario,
            times(ratio),
            reference.scenario
        )
    } else if ratio <= 1.0 / SAME {
        format!(
            "{} has {}× higher p99 than {}",
            s.scenario,
            times(1.0 / ratio),
            reference.scenario
        )
    } else {
        format!(
            "{} has about the same p99 as {}",
            s.scenario, reference.scenario
        )
    };
    sentence.push_str(&format!(" ({} ms against {} ms)", sig(p), sig(q)));
    let (c, d) = (s.value("cost_per_hour"), reference.value("cost_per_hour"));
    if c > 0.0 && d > 0.0 {
        let cost = c / d;
        if (cost - 1.0).abs() < 0.02 {
            sentence.push_str(" at the same cost");
        } else {
            sentence.push_str(&format!(" at {}× the cost", times(cost)));
        }
    }
    let (a, b) = (s.value("availability"), reference.value("availability"));
    match (meets_objective(s), meets_objective(reference)) {
        (false, true) => sentence.push_str(&format!(
            ", but it misses the availability objective: it answers {}% of requests against {}%",
            percent(a * 100.0),
            percent(b * 100.0)
        )),
        (true, false) => sentence.push_str(&format!(
            ", and it meets the availability objective where {} does not ({}% against {}%)",
            reference.scenario,
            percent(a * 100.0),
            percent(b * 100.0)
        )),
        _ if (a - b).abs() >= 0.01 => sentence.push_str(&format!(
            ", answering {}% of requests against {}%",
            percent(a * 100.0),
            percent(b * 100.0)
        )),
        _ => {}
    }
    match paired.and_then(|d| d.figure("latency_ms.p99")) {
        Some(d) if !d.significant() => sentence.push_str(
            "; the paired 95% interval of the p99 difference includes zero, so the gap may be noise",
        ),
        Some(_) => {}
        None => {
            let overlap = match (
                s.figure("latency_ms.p99").and_then(|f| f.ci),
                reference.figure("latency_ms.p99").and_then(|f| f.ci),
            ) {
                (Some(a), Some(b)) => a.low() <= b.high() && b.low() <= a.high(),
                _ => false,
            };
            if overlap {
                sentence.push_str(
                    "; the 95% confidence intervals of the two p99s overlap, so the gap may be noise",
                );
            }
        }
    }
    sentence.push('.');
    Some(sentence)
}

/// Names the best scenario on p99, on price and on availability.
fn bests(results: &[ScenarioResult]) -> Vec<String> {
    let mut out = Vec::new();
    // Latency is judged only among the scenarios that meet the availability
    // objective (or, when none does, that answer the most): the latency of
    // the requests that got an answer says nothing of those that did not.
    let top_availability = results
        .iter()
        .map(|r| r.value("availability"))
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let judged: Vec<&ScenarioResult> = if results.iter().any(meets_objective) {
        results.iter().filter(|r| meets_objective(r)).collect()
    } else {
        results
            .iter()
            .filter(|r| r.value("availability") >= top_availability)
            .collect()
    };
    let best = |path: &str, lower: bool, among: &[&ScenarioResult]| -> Option<(Vec<String>, f64)> {
        let values: Vec<(&str, f64)> = among
            .iter()
            .map(|r| (r.scenario.as_str(), r.value(path)))
            .filter(|(_, v)| v.is_finite())
            .collect();
        let pick = if lower { f64::min } else { f64::max };
        let first = values.first()?.1;
        let top = values.iter().map(|(_, v)| *v).fold(first, pick);
        if values.iter().all(|(_, v)| *v == top) {
            return None;
        }
        let names = values
            .iter()
            .filter(|(_, v)| *v == top)
            .map(|(n, _)| n.to_string())
            .collect();
        Some((names, top))
    };
    let all: Vec<&ScenarioResult> = results.iter().collect();
    let qualifier = if judged.len() < results.len() {
        if results.iter().any(meets_objective) {
            " among those that meet the availability objective"
        } else {
            " among those that answer the most requests"
        }
    } else {
        ""
    };
    // Set when the sentence on the only scenario judged already names the
    // best availability, so that it is not said twice.
    let mut availability_said = false;
    let judged_best = match judged.as_slice() {
        [only] if results.len() > 1 => {
            let v = only.value("latency_ms.p99");
            if v.is_finite() {
                let sentence = if results.iter().any(meets_objective) {
                    format!(
                        "{} is the only one that meets the availability objective; its p99 is {} ms.",
                        only.scenario,
                        sig(v)
                    )
                } else {
                    availability_said = true;
                    format!(
                        "{} answers the most requests ({}%); its p99 is {} ms.",
                        only.scenario,
                        percent(only.value("availability") * 100.0),
                        sig(v)
                    )
                };
                out.push(sentence);
            }
            v.is_finite().then(|| (vec![only.scenario.clone()], v))
        }
        _ => best("latency_ms.p99", true, &judged),
    };
    if let Some((names, v)) = judged_best.as_ref().filter(|_| judged.len() > 1) {
        out.push(format!(
            "{} the best p99{qualifier} ({} ms).",
            subject(
                &names.iter().map(String::as_str).collect::<Vec<_>>(),
                "has",
                "have"
            ),
            sig(*v)
        ));
    }
    if let Some((names, v)) = best("latency_ms.p99", true, &all) {
        let lower = judged_best.as_ref().is_none_or(|(_, b)| v < *b);
        for name in names.iter().filter(|_| lower) {
            let Some(r) = results.iter().find(|r| r.scenario == *name) else {
                continue;
            };
            out.push(format!(
                "{name} has a lower p99 ({} ms), but it answers only {}% of requests: the \
                 latency of the requests that got an answer is no verdict on those that did not.",
                sig(v),
                percent(r.value("availability") * 100.0)
            ));
        }
    }
    if let Some((names, v)) = best("cost_per_hour", true, &all).filter(|(_, v)| *v > 0.0) {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        out.push(format!(
            "{} the cheapest, at ${}/h.",
            subject(&names, "is", "are"),
            money(v)
        ));
    }
    if let Some((names, v)) = best("availability", false, &all).filter(|_| !availability_said) {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        out.push(format!(
            "{} the best availability ({}%).",
            subject(&names, "has", "have"),
            percent(v * 100.0)
        ));
    }
    out
}

/// The refusals a system makes on purpose, by their path in the results,
/// with how the reading names them: a request turned away for what it is
/// (hostile, without credentials) or for going over a limit was not lost to
/// a failure, though it counts among `requests.failed`.
const ON_PURPOSE: [(&str, &str); 3] = [
    ("errors.firewall_dropped", "dropped by the firewall"),
    ("errors.unauthorized", "refused as unauthorized"),
    ("errors.rate_limited", "refused by a rate limit"),
];

/// Says which scenarios do not complete every request, how many and how,
/// telling the refusals made on purpose apart from the failures.
fn losses(results: &[ScenarioResult]) -> Vec<String> {
    let mut out = Vec::new();
    let mut perfect = Vec::new();
    for r in results {
        let availability = r.value("availability");
        if !availability.is_finite() || r.value("requests.offered") <= 0.0 {
            continue;
        }
        if availability >= 1.0 {
            perfect.push(r.scenario.as_str());
            continue;
        }
        out.push(loss(r, availability));
    }
    if !perfect.is_empty() {
        if perfect.len() == results.len() && results.len() > 1 {
            out.push("Every scenario answered every request.".to_string());
        } else {
            out.push(format!(
                "{} every request.",
                subject(&perfect, "answered", "answered")
            ));
        }
    }
    out
}

/// Says how `r`, which completed a share `availability` of its requests,
/// lost the others: with refusals on purpose, those first and the failures
/// after them (none, if so), as the refusals are no loss.
fn loss(r: &ScenarioResult, availability: f64) -> String {
    let positive = |path: &str| Some(r.value(path)).filter(|n| *n > 0.0);
    let refusals: Vec<(f64, &str)> = ON_PURPOSE
        .iter()
        .filter_map(|&(path, words)| positive(path).map(|n| (n, words)))
        .collect();
    let refused_total: f64 = refusals.iter().map(|&(n, _)| n).sum();
    let refused: Vec<String> = refusals
        .iter()
        .map(|&(n, words)| format!("{} {words}", count(n)))
        .collect();
    let failed = (r.value("requests.failed") - refused_total).max(0.0);
    let mut how: Vec<String> = [
        ("requests.rejected", "rejected"),
        ("requests.timed_out", "timed out"),
    ]
    .iter()
    .filter_map(|(path, word)| positive(path).map(|n| format!("{} {word}", count(n))))
    .collect();
    let share = sig((1.0 - availability) * 100.0);
    if refused.is_empty() {
        if failed > 0.0 {
            how.push(format!("{} lost to failures", count(failed)));
        }
        let detail = if how.is_empty() {
            String::new()
        } else {
            format!(" ({})", how.join(", "))
        };
        return format!("{} loses {share}% of requests{detail}.", r.scenario);
    }
    how.push(format!("{} lost to failures", count(failed)));
    format!(
        "{}: {share}% of requests not completed: {}, on purpose; {}.",
        r.scenario,
        and_list(&refused),
        and_list(&how)
    )
}

/// Joins phrases with commas and a last "and": "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Points out components busy enough for queues to grow fast.
fn saturation(results: &[ScenarioResult]) -> Vec<String> {
    let mut out = Vec::new();
    for r in results {
        for f in &r.figures {
            if let [head, name, field] = f.path.as_slice() {
                if head == "components" && field == "utilization" && f.value >= BUSY {
                    out.push(format!(
                        "{name} in {} is {}% busy: near saturation, where queues and \
                         tail latency grow fast.",
                        r.scenario,
                        (f.value * 100.0).round()
                    ));
                }
            }
        }
    }
    out
}

/// Returns the sentences that read a sweep.
pub fn sweep(data: &SweepData) -> Vec<String> {
    let mut out = Vec::new();
    if data.points.is_empty() || data.parameters.is_empty() {
        return out;
    }
    let names = short_names(&data.parameters);
    let x_name = names.first().cloned().unwrap_or_default();
    let positions = Positions::of(data);
    let lines = lines(data);
    let many = lines.len() > 1;
    // Past a few lines, per-line sentences would drown the reading.
    let shown = lines.iter().take(4);
    let at = |p: &SweepPoint| {
        format!(
            "{x_name} = {}",
            p.labels.first().map_or("?", String::as_str)
        )
    };
    let suffix = |label: &str| {
        if many {
            format!(" with {label}")
        } else {
            String::new()
        }
    };
    for m in &data.metrics {
        let shownm = metric(m);
        // Availability has its own sentence below, on where it drops.
        let ranged = m != "availability";
        for line in shown.clone().filter(|_| ranged) {
            let mut points: Vec<(f64, &SweepPoint, f64)> = line
                .points
                .iter()
                .map(|p| (positions.x(p), *p, p.result.value(m)))
                .filter(|(_, _, v)| v.is_finite())
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            // The first point of the lowest and of the highest value, in x order.
            let pick = |better: fn(f64, f64) -> bool| {
                points.iter().fold(
                    None,
                    |best: Option<&(f64, &SweepPoint, f64)>, p| match best {
                        Some(b) if !better(p.2, b.2) => Some(b),
                        _ => Some(p),
                    },
                )
            };
            let (Some(low), Some(high)) = (pick(|a, b| a < b), pick(|a, b| a > b)) else {
                continue;
            };
            let mut sentence = if low.2 == high.2 {
                format!(
                    "The {} stays at {}{}",
                    shownm.name,
                    shownm.show(low.2),
                    suffix(&line.label)
                )
            } else {
                format!(
                    "The {} ranges from {} (at {}) to {} (at {}){}",
                    shownm.name,
                    shownm.show(low.2),
                    at(low.1),
                    shownm.show(high.2),
                    at(high.1),
                    suffix(&line.label)
                )
            };
            if shownm.unit == "ms" && low.2 > 0.0 {
                let cross = points
                    .iter()
                    .skip_while(|(x, _, _)| *x <= low.0)
                    .find(|(_, _, v)| *v >= 2.0 * low.2);
                match cross {
                    Some((_, p, v)) => sentence.push_str(&format!(
                        "; it passes twice its lowest value at {} ({})",
                        at(p),
                        shownm.show(*v)
                    )),
                    None => sentence.push_str("; it stays within twice its lowest value"),
                }
            }
            sentence.push('.');
            out.push(sentence);
        }
        if let Some(sentence) = agreement(data, m, &at) {
            out.push(sentence);
        }
    }
    out.extend(availability(data, &lines, &positions, &at, many));
    out
}

/// Compares the simulation with theory on `m`, where theory has values.
fn agreement(data: &SweepData, m: &str, at: &dyn Fn(&SweepPoint) -> String) -> Option<String> {
    let pairs: Vec<(&SweepPoint, f64, f64)> = data
        .points
        .iter()
        .filter_map(|p| {
            let t = theory(p, m)?;
            let v = p.result.value(m);
            (v.is_finite() && t != 0.0).then_some((p, v, t))
        })
        .collect();
    let worst = pairs.iter().max_by(|a, b| {
        ((a.1 - a.2) / a.2)
            .abs()
            .total_cmp(&((b.1 - b.2) / b.2).abs())
    })?;
    let gap = ((worst.1 - worst.2) / worst.2).abs() * 100.0;
    let name = metric(m).name;
    let mut sentence = format!(
        "Simulation and theory differ by at most {}% on {name} (at {})",
        sig(gap),
        at(worst.0)
    );
    let with_ci: Vec<bool> = pairs
        .iter()
        .filter_map(|(p, _, t)| {
            let ci = p.result.figure(m)?.ci?;
            Some(ci.contains(*t))
        })
        .collect();
    if !with_ci.is_empty() {
        let inside = with_ci.iter().filter(|b| **b).count();
        sentence.push_str(&format!(
            "; theory lies inside the 95% interval at {inside} of {} points",
            with_ci.len()
        ));
    }
    sentence.push('.');
    Some(sentence)
}

/// Says where availability first drops below three nines along each line.
fn availability(
    data: &SweepData,
    lines: &[super::charts::sweep::Line<'_>],
    positions: &Positions,
    at: &dyn Fn(&SweepPoint) -> String,
    many: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for line in lines.iter().take(4) {
        let mut points: Vec<(f64, &SweepPoint, f64)> = line
            .points
            .iter()
            .map(|p| (positions.x(p), *p, p.result.value("availability")))
            .filter(|(_, _, v)| v.is_finite())
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, p, v)) = points.iter().find(|(_, _, v)| *v < THREE_NINES) {
            let with = if many {
                format!(" with {}", line.label)
            } else {
                String::new()
            };
            out.push(format!(
                "Availability drops below 99.9% at {}{with} ({}%).",
                at(p),
                percent(v * 100.0)
            ));
        }
    }
    let all_fine = data
        .points
        .iter()
        .all(|p| p.result.value("availability") >= THREE_NINES);
    if out.is_empty() && all_fine {
        out.push("Availability stays at or above 99.9% over the whole sweep.".to_string());
    }
    out
}

/// Formats a ratio (`3.1`, `12`).
fn times(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Formats a count with thousands separated by commas.
pub fn count(n: f64) -> String {
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Joins names as the subject of a verb: "A has", "A and B have", "A, B and C have".
fn subject(names: &[&str], one: &str, many: &str) -> String {
    match names {
        [] => String::new(),
        [only] => format!("{only} {one}"),
        [init @ .., last] => format!("{} and {last} {many}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::sample;

    #[test]
    fn compares_each_scenario_with_the_first() {
        let data = sample::comparison();
        let text = comparison(&data);
        assert!(
            text.contains(
                &"Four clones, round robin has 3.1× lower p99 than One big server \
                  (10.0 ms against 31.0 ms) at 1.4× the cost, and it meets the availability \
                  objective where One big server does not (100.0% against 97.7%)."
                    .to_string()
            ),
            "{text:#?}"
        );
        assert!(text.iter().any(|s| s
            .starts_with("Four clones, least connections has 3.4× lower p99 than One big server")));
    }

    #[test]
    fn names_the_best_and_the_losses() {
        let text = comparison(&sample::comparison());
        let has = |s: &str| text.iter().any(|t| t == s);
        assert!(
            has(
                "Four clones, least connections has the best p99 among those that meet the \
                 availability objective (9.00 ms)."
            ),
            "{text:#?}"
        );
        assert!(
            has("One big server is the cheapest, at $0.45/h."),
            "{text:#?}"
        );
        assert!(
            has("Four clones, round robin has the best availability (100.0%)."),
            "{text:#?}"
        );
        assert!(
            has("One big server loses 2.30% of requests (3,680 rejected)."),
            "{text:#?}"
        );
        assert!(
            has("Four clones, round robin answered every request."),
            "{text:#?}"
        );
        assert!(has("box in One big server is 97% busy: near saturation, where queues and tail latency grow fast."), "{text:#?}");
        assert!(text.iter().any(|t| t.contains("same arrivals")));
        assert!(text.iter().any(|t| t.contains("5 replications")));
    }

    #[test]
    fn a_fast_setup_that_loses_requests_is_not_the_best() {
        let storm = sample::result(
            "Storm",
            &[("latency_ms.p99", 54.0, None), ("availability", 0.27, None)],
        );
        let backoff = sample::result(
            "Backoff",
            &[
                ("latency_ms.p99", 97.0, None),
                ("availability", 0.9995, None),
            ],
        );
        let text = bests(&[storm, backoff]);
        assert!(
            text.iter().any(|t| t.starts_with(
                "Backoff is the only one that meets the availability objective; its p99 is 97.0 ms"
            )),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with(
                "Storm has a lower p99 (54.0 ms), but it answers only 27.0% of requests"
            )),
            "{text:#?}"
        );
        assert!(
            !text.iter().any(|t| t.starts_with("Storm has the best")),
            "{text:#?}"
        );
    }

    #[test]
    fn a_paired_interval_decides_whether_a_gap_is_noise() {
        let a = sample::result("A", &[("latency_ms.p99", 10.0, Some(2.0))]);
        let b = sample::result("B", &[("latency_ms.p99", 11.0, Some(2.0))]);
        let paired = |half_width: f64| Differences {
            scenario: "B".into(),
            baseline: "A".into(),
            figures: vec![crate::report::data::PairedFigure {
                path: "latency_ms.p99".into(),
                measure: crate::parts::kinds::measure_of(&["latency_ms".into(), "p99".into()]),
                difference: crate::metrics::ci::Interval {
                    mean: 1.0,
                    half_width,
                },
            }],
        };
        // The unpaired intervals overlap, but the pairs all moved the same way.
        let beyond = versus(&b, &a, Some(&paired(0.2))).unwrap();
        assert!(!beyond.contains("noise"), "{beyond}");
        let within = versus(&b, &a, Some(&paired(1.5))).unwrap();
        assert!(within.contains("paired 95% interval of the p99 difference includes zero"));
    }

    #[test]
    fn says_when_a_gap_is_within_the_noise() {
        let a = sample::result(
            "A",
            &[
                ("latency_ms.p99", 10.0, Some(2.0)),
                ("cost_per_hour", 1.0, None),
            ],
        );
        let b = sample::result(
            "B",
            &[
                ("latency_ms.p99", 11.0, Some(2.0)),
                ("cost_per_hour", 1.0, None),
            ],
        );
        let text = versus(&b, &a, None).unwrap();
        assert_eq!(
            text,
            "B has 1.1× higher p99 than A (11.0 ms against 10.0 ms) at the same cost; \
             the 95% confidence intervals of the two p99s overlap, so the gap may be noise."
        );
    }

    #[test]
    fn one_scenario_reads_without_comparisons() {
        let mut data = sample::comparison();
        data.results.truncate(1);
        let text = comparison(&data);
        assert!(!text.iter().any(|t| t.contains("lower p99")));
        assert!(!text.iter().any(|t| t.contains("same arrivals")));
        assert!(text.iter().any(|t| t.contains("ran once")));
    }

    #[test]
    fn reads_a_sweep() {
        let text = sweep(&sample::sweep());
        let has = |s: &str| text.iter().any(|t| t.contains(s));
        assert!(
            has("The p99 latency ranges from 5.20 ms (at rate = 400) to 62.4 ms (at rate = 1500) with strategy=round_robin; it passes twice its lowest value at rate = 1200 (15.6 ms)."),
            "{text:#?}"
        );
        assert!(
            has("Simulation and theory differ by at most 18.2% on p99 latency (at rate = 1500); theory lies inside the 95% interval at 0 of 8 points."),
            "{text:#?}"
        );
        assert!(
            !has("The availability"),
            "availability has its own sentence"
        );
        assert!(
            has(
                "Availability drops below 99.9% at rate = 1500 with strategy=round_robin (99.50%)."
            ),
            "{text:#?}"
        );
    }

    #[test]
    fn reads_the_lesson_figures_first_and_names_the_best() {
        let lost = "components.db.lost_writes";
        let mut data = sample::comparison();
        data.results = vec![
            sample::result("Async", &[(lost, 38.0, None)]),
            sample::result("Sync", &[(lost, 0.0, None)]),
        ];
        let text = comparison(&data);
        assert_eq!(
            text[0], "Lost writes (db): 38 in Async, 0 in Sync (best: Sync).",
            "{text:#?}"
        );
        data.results.truncate(1);
        assert_eq!(comparison(&data)[0], "Lost writes (db): 38.");
    }

    #[test]
    fn refusals_on_purpose_are_told_apart_from_failures() {
        let proxy = sample::result(
            "Proxy",
            &[
                ("availability", 0.751, None),
                ("requests.offered", 165_000.0, None),
                ("requests.failed", 41_044.0, None),
                ("errors.firewall_dropped", 24_654.0, None),
                ("errors.unauthorized", 16_390.0, None),
            ],
        );
        assert_eq!(
            losses(&[proxy]),
            [
                "Proxy: 24.9% of requests not completed: 24,654 dropped by the firewall and \
                 16,390 refused as unauthorized, on purpose; 0 lost to failures."
            ]
        );
        let crashed = sample::result(
            "Crash",
            &[
                ("availability", 0.99, None),
                ("requests.offered", 1000.0, None),
                ("requests.failed", 10.0, None),
            ],
        );
        assert_eq!(
            losses(&[crashed]),
            ["Crash loses 1.00% of requests (10 lost to failures)."]
        );
    }

    #[test]
    fn every_error_figure_in_the_reading_has_its_label() {
        let mut data = sample::comparison();
        let firewall = "errors.firewall_dropped";
        let unauthorized = "errors.unauthorized";
        data.results = vec![sample::result(
            "Proxy",
            &[(firewall, 24_654.0, None), (unauthorized, 16_390.0, None)],
        )];
        data.focus = vec![firewall.into(), unauthorized.into()];
        let text = comparison(&data);
        assert_eq!(text[0], "Dropped by the firewall: 24,654.", "{text:#?}");
        assert_eq!(text[1], "Unauthorized: 16,390.", "{text:#?}");
        // Every cause of the results reads as itself, never as "Errors".
        for cause in crate::model::Cause::ALL {
            let path = format!("errors.{}", cause.name());
            data.results = vec![sample::result("S", &[(&path, 3.0, None)])];
            data.focus = vec![path.clone()];
            let first = &comparison(&data)[0];
            assert!(!first.starts_with("Errors"), "{path}: {first}");
        }
    }

    #[test]
    fn says_the_arrivals_were_the_same_only_when_they_were() {
        let mut data = sample::comparison();
        let says =
            |data: &Comparison, words: &str| comparison(data).iter().any(|t| t.contains(words));
        data.common_random_numbers = false;
        assert!(
            says(&data, "saw the same arrivals"),
            "same seed and traffic"
        );
        data.same_arrivals = false;
        assert!(says(&data, "drew its own random arrivals"));
        assert!(!says(&data, "saw the same arrivals"));
        data.common_random_numbers = true;
        assert!(says(&data, "saw different arrivals"));
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(1234567.0), "1,234,567");
        assert_eq!(count(999.0), "999");
    }
}
