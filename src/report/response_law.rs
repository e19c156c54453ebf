//! The response time law of a closed loop, shown beside the measured mean
//! latency: with N users who think Z on average between an answer and their
//! next request, and X requests answered per second, the mean latency is
//! R = N / X − Z. Every run with `traffic.closed` reports both sides
//! (`closed.law_latency_ms`, `closed.law_gap_ms`); this module returns them
//! for the table and the report, as [`super::little`] does for Little's law.

use super::format::sig;
use crate::metrics::ScenarioResult;

/// The response time law in one scenario (means over replications).
#[derive(Clone, Debug, PartialEq)]
pub struct LawCheck {
    /// The scenario.
    pub scenario: String,
    /// N: the users of the loop.
    pub users: f64,
    /// Z: their mean think time, in milliseconds.
    pub think_ms: f64,
    /// X: requests answered per second.
    pub throughput_rps: f64,
    /// R: the measured mean latency, in milliseconds.
    pub latency_ms: f64,
    /// N / X − Z, in milliseconds (NaN when nothing was answered).
    pub law_ms: f64,
    /// R − (N / X − Z), in milliseconds (NaN when nothing was answered).
    pub gap_ms: f64,
}

impl LawCheck {
    /// Returns |R − (N / X − Z)| relative to N / X − Z (NaN when the law
    /// has no value).
    pub fn relative_gap(&self) -> f64 {
        if self.law_ms.is_finite() && self.law_ms != 0.0 {
            (self.gap_ms / self.law_ms).abs()
        } else {
            f64::NAN
        }
    }
}

/// Returns the law of every scenario whose traffic is a closed loop, in order.
pub fn checks(results: &[ScenarioResult]) -> Vec<LawCheck> {
    results
        .iter()
        .filter_map(|r| {
            let users = r.figure("closed.users")?.value;
            Some(LawCheck {
                scenario: r.scenario.clone(),
                users,
                think_ms: r.value("closed.think_ms"),
                throughput_rps: r.value("throughput_rps"),
                latency_ms: r.value("latency_ms.mean"),
                law_ms: r.value("closed.law_latency_ms"),
                gap_ms: r.value("closed.law_gap_ms"),
            })
        })
        .collect()
}

/// Returns one line per closed loop for the terminal: the measured mean
/// latency against N / X − Z. Empty when no scenario is a closed loop.
pub fn lines(checks: &[LawCheck]) -> Vec<String> {
    checks
        .iter()
        .map(|c| {
            let law = if c.law_ms.is_finite() {
                format!(
                    "N / X − Z = {} ms (N = {}, X = {}/s, Z = {} ms), a gap of {} ms ({}%)",
                    sig(c.law_ms),
                    sig(c.users),
                    sig(c.throughput_rps),
                    sig(c.think_ms),
                    sig(c.gap_ms),
                    sig(c.relative_gap() * 100.0)
                )
            } else {
                "N / X − Z has no value: nothing was answered".to_string()
            };
            format!(
                "Response time law in {}: mean latency {} ms; {law}",
                c.scenario,
                sig(c.latency_ms)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::sample;

    #[test]
    fn a_closed_loop_shows_its_law_and_an_open_one_nothing() {
        let closed = sample::closed_loop();
        let open = sample::result("Open", &[("latency_ms.mean", 5.0, None)]);
        let found = checks(&[open, closed]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            lines(&found),
            [
                "Response time law in Closed: mean latency 465 ms; N / X − Z = 483 ms (N = 200, \
              X = 80.5/s, Z = 2000 ms), a gap of -18.0 ms (3.73%)"
            ]
        );
    }
}
