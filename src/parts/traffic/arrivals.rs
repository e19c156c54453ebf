//! Arrival times from a piecewise rate schedule, or from a trace.

use std::sync::Arc;

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use super::{ArrivalLaw, RateSegment, Source, Trace, Traffic};
use crate::engine::{SimRng, SimTime};

/// Arrival times from a piecewise rate schedule, or replayed from a trace.
///
/// Poisson arrivals restart at each segment boundary, which is exact because
/// the exponential law is memoryless; inside a ramp they are thinned from the
/// segment's highest rate (Lewis and Shedler), so each arrival is exact too.
#[derive(Clone, Debug)]
pub struct Arrivals {
    law: ArrivalLaw,
    segments: Vec<RateSegment>,
    /// Per segment, the mean gap at its highest rate, in nanoseconds: a
    /// multiplication per arrival instead of a division.
    mean_gaps_ns: Vec<f64>,
    current: usize,
    stop: SimTime,
    /// The trace replayed instead of the schedule, if any.
    trace: Option<Arc<Trace>>,
    /// The type the trace gives the arrival last returned, if it gives one.
    kind: Option<u16>,
}

impl Arrivals {
    /// Creates the arrival process of `traffic`; no arrival happens at or after `stop`.
    pub fn new(traffic: &Traffic, stop: SimTime) -> Self {
        Self {
            law: traffic.arrivals,
            segments: traffic.schedule.clone(),
            mean_gaps_ns: traffic
                .schedule
                .iter()
                .map(|s| SimTime::NANOS_PER_SEC as f64 / s.from.max(s.to))
                .collect(),
            current: 0,
            stop,
            trace: match &traffic.source {
                Source::Trace(trace) => Some(Arc::clone(trace)),
                Source::Open | Source::Closed(_) => None,
            },
            kind: None,
        }
    }

    /// Returns the type the trace gives the arrival last returned by
    /// [`Arrivals::next_after`] (`None`: the mix decides).
    #[inline]
    pub fn kind(&self) -> Option<u16> {
        self.kind
    }

    /// Returns the first arrival after `t`, or `None` when arrivals have stopped.
    ///
    /// A trace gives its arrivals in its order, each once, whatever `t` (the
    /// time of the previous one): arrivals at one instant are kept apart.
    pub fn next_after(&mut self, mut t: SimTime, rng: &mut SimRng) -> Option<SimTime> {
        if let Some(trace) = &self.trace {
            let (at, kind) = trace.get(self.current)?;
            if at >= self.stop {
                return None;
            }
            self.current += 1;
            self.kind = kind;
            return Some(at);
        }
        loop {
            let seg = *self.segments.get(self.current)?;
            if t >= seg.end {
                self.current += 1;
                continue;
            }
            let peak = seg.from.max(seg.to);
            if peak <= 0.0 {
                t = seg.end;
                continue;
            }
            let candidate = match self.law {
                ArrivalLaw::Poisson => {
                    let gap: f64 = Exp1.sample(rng);
                    let mean_gap_ns = self.mean_gaps_ns.get(self.current).copied().unwrap_or(0.0);
                    t + SimTime::from_nanos_f64(gap * mean_gap_ns)
                }
                ArrivalLaw::Constant => {
                    let rate = seg.rate_at(t);
                    if rate <= 0.0 {
                        // Inside a ramp up from zero: step to where the rate is positive.
                        t + SimTime::from_secs_f64(1.0 / peak)
                    } else {
                        t + SimTime::from_secs_f64(1.0 / rate)
                    }
                }
            };
            if candidate >= self.stop {
                return None;
            }
            if candidate >= seg.end {
                if self.law == ArrivalLaw::Poisson {
                    t = seg.end;
                    self.current += 1;
                    continue;
                }
                return Some(candidate);
            }
            let thinned = self.law == ArrivalLaw::Poisson
                && seg.from != seg.to
                && rng.random::<f64>() * peak > seg.rate_at(candidate);
            if thinned {
                t = candidate;
                continue;
            }
            return Some(candidate);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::engine::stream_rng;
    use crate::keys::{KeySpace, Popularity};
    use crate::model::Op;
    use crate::parts::traffic::RequestType;

    /// A traffic of two types (3:1, the second writes) on `schedule`.
    pub(in crate::parts::traffic) fn traffic(
        schedule: Vec<RateSegment>,
        law: ArrivalLaw,
    ) -> Traffic {
        Traffic {
            arrivals: law,
            schedule,
            users: KeySpace {
                count: 10,
                popularity: Popularity::Uniform,
            },
            origins: Vec::new(),
            types: vec![
                RequestType {
                    name: "a".into(),
                    weight: 3.0,
                    ..RequestType::only()
                },
                RequestType {
                    name: "b".into(),
                    weight: 1.0,
                    op: Op::Write,
                    ..RequestType::only()
                },
            ],
            timeout: None,
            retry: None,
            keys: None,
            source: crate::parts::traffic::Source::Open,
        }
    }

    fn count(arrivals: &mut Arrivals, from: SimTime, to: SimTime) -> usize {
        let mut rng = stream_rng(3, 0, &["arrivals-test"]);
        let mut t = SimTime::ZERO;
        let mut n = 0;
        while let Some(next) = arrivals.next_after(t, &mut rng) {
            if next >= from && next < to {
                n += 1;
            }
            t = next;
        }
        n
    }

    #[test]
    fn poisson_counts_follow_a_step_then_a_ramp() {
        let s = |a: f64, b: f64| SimTime::from_secs_f64(a.min(b));
        let schedule = vec![
            RateSegment {
                start: s(0.0, 0.0),
                end: s(100.0, 100.0),
                from: 100.0,
                to: 100.0,
            },
            RateSegment {
                start: s(100.0, 100.0),
                end: s(200.0, 200.0),
                from: 100.0,
                to: 300.0,
            },
            RateSegment {
                start: s(200.0, 200.0),
                end: SimTime::MAX,
                from: 300.0,
                to: 300.0,
            },
        ];
        let t = traffic(schedule, ArrivalLaw::Poisson);
        let mut arrivals = Arrivals::new(&t, SimTime::from_secs_f64(300.0));
        let (step, ramp, top) = (
            count(&mut arrivals.clone(), s(0.0, 0.0), s(100.0, 100.0)) as f64,
            count(&mut arrivals.clone(), s(100.0, 100.0), s(200.0, 200.0)) as f64,
            count(&mut arrivals, s(200.0, 200.0), s(300.0, 300.0)) as f64,
        );
        // Poisson counts: mean 10,000 / 20,000 / 30,000, sd about 1%: allow 5 sd.
        assert!((step - 10_000.0).abs() < 500.0, "{step}");
        assert!((ramp - 20_000.0).abs() < 710.0, "{ramp}");
        assert!((top - 30_000.0).abs() < 870.0, "{top}");
    }

    #[test]
    fn constant_arrivals_are_evenly_spaced() {
        let schedule = vec![RateSegment {
            start: SimTime::ZERO,
            end: SimTime::MAX,
            from: 4.0,
            to: 4.0,
        }];
        let t = traffic(schedule, ArrivalLaw::Constant);
        let mut arrivals = Arrivals::new(&t, SimTime::from_secs_f64(2.0));
        let mut rng = stream_rng(3, 0, &["x"]);
        let first = arrivals.next_after(SimTime::ZERO, &mut rng).unwrap();
        let second = arrivals.next_after(first, &mut rng).unwrap();
        assert_eq!(first, SimTime::from_secs_f64(0.25));
        assert_eq!(second, SimTime::from_secs_f64(0.5));
    }
}
