//! The client side: when requests arrive, what type they are, who sends them,
//! and what happens to their answers.

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::engine::{Component, ComponentId, SimRng, SimTime};
use crate::keys::KeySampler;
use crate::model::{Call, Ctx, Msg, Outcome, Request, World, ANY_REPLICA};
use crate::scenario::{ArrivalLaw, Op, RateSegment, Traffic};

/// Arrival times from a piecewise rate schedule.
///
/// Poisson arrivals restart at each segment boundary, which is exact because
/// the exponential law is memoryless; inside a ramp they are thinned from the
/// segment's highest rate (Lewis and Shedler), so each arrival is exact too.
#[derive(Clone, Debug)]
pub struct Arrivals {
    law: ArrivalLaw,
    segments: Vec<RateSegment>,
    current: usize,
    stop: SimTime,
}

impl Arrivals {
    /// Creates the arrival process of `traffic`; no arrival happens at or after `stop`.
    pub fn new(traffic: &Traffic, stop: SimTime) -> Self {
        Self {
            law: traffic.arrivals,
            segments: traffic.schedule.clone(),
            current: 0,
            stop,
        }
    }

    /// Returns the first arrival after `t`, or `None` when arrivals have stopped.
    pub fn next_after(&mut self, mut t: SimTime, rng: &mut SimRng) -> Option<SimTime> {
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
                    t + SimTime::from_secs_f64(gap / peak)
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

/// Draws request types by weight.
#[derive(Clone, Debug)]
pub struct Mix {
    cumulative: Vec<f64>,
}

impl Mix {
    /// Creates the mix of `traffic`'s request types.
    pub fn new(traffic: &Traffic) -> Self {
        let mut total = 0.0;
        let cumulative = traffic
            .types
            .iter()
            .map(|t| {
                total += t.weight;
                total
            })
            .collect();
        Self { cumulative }
    }

    /// Draws a type index.
    #[inline]
    pub fn draw(&self, rng: &mut SimRng) -> u16 {
        if self.cumulative.len() <= 1 {
            return 0;
        }
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.random::<f64>() * total;
        let index = self.cumulative.partition_point(|&c| c <= x);
        index.min(self.cumulative.len() - 1) as u16
    }
}

/// The population of clients: creates requests, sends them to the entry and
/// records how each one ended.
pub struct Client {
    arrivals: Arrivals,
    mix: Mix,
    users: u32,
    /// Whether each request type writes.
    writes: Vec<bool>,
    keys: Option<KeySampler>,
    entry: ComponentId,
    arrival_rng: SimRng,
    mix_rng: SimRng,
    user_rng: SimRng,
    work_rng: SimRng,
    key_rng: SimRng,
}

/// The random streams of the client side, named so that every compared
/// architecture sees the same arrivals (common random numbers).
pub struct ClientStreams {
    /// Gaps between arrivals.
    pub arrivals: SimRng,
    /// Request types.
    pub mix: SimRng,
    /// User ids.
    pub users: SimRng,
    /// Per-request seeds of the work drawn at each station.
    pub work: SimRng,
    /// The key each request is about.
    pub keys: SimRng,
}

impl Client {
    /// Creates the clients of `traffic`, sending to `entry` until `stop`.
    pub fn new(
        traffic: &Traffic,
        entry: ComponentId,
        stop: SimTime,
        streams: ClientStreams,
    ) -> Self {
        Self {
            arrivals: Arrivals::new(traffic, stop),
            mix: Mix::new(traffic),
            users: traffic.users,
            writes: traffic.types.iter().map(|t| t.op == Op::Write).collect(),
            keys: traffic.keys.as_ref().map(KeySampler::new),
            entry,
            arrival_rng: streams.arrivals,
            mix_rng: streams.mix,
            user_rng: streams.users,
            work_rng: streams.work,
            key_rng: streams.keys,
        }
    }

    fn schedule_next(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(at) = self.arrivals.next_after(ctx.now(), &mut self.arrival_rng) {
            ctx.schedule_self(at - ctx.now(), Msg::Timer(0));
        }
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let counted = ctx.shared.recorder.counts_arrival(now);
        let kind = self.mix.draw(&mut self.mix_rng);
        let request = Request {
            kind,
            user: self.user_rng.random_range(0..self.users),
            arrived: now,
            wait: SimTime::ZERO,
            counted,
            seed: self.work_rng.random(),
            key: self
                .keys
                .as_ref()
                .map_or(0, |keys| keys.draw(&mut self.key_rng)),
            write: self.writes.get(kind as usize).copied().unwrap_or(false),
        };
        let req = ctx.shared.requests.insert(request) as u32;
        ctx.shared.recorder.arrival(now, counted);
        let call = Call {
            req,
            reply_to: ctx.me(),
            token: req,
            replica: ANY_REPLICA,
        };
        ctx.send(self.entry, SimTime::ZERO, Msg::Call(call));
        self.schedule_next(ctx);
    }

    fn answered(&mut self, req: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        if !ctx.shared.requests.contains(req as usize) {
            return;
        }
        let request = ctx.shared.requests.remove(req as usize);
        let now = ctx.now();
        ctx.shared.recorder.finished(&request, outcome, now);
    }
}

impl Component<Msg, World> for Client {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        self.schedule_next(ctx);
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Timer(_) => self.arrive(ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Call(_) | Msg::Probe { .. } | Msg::Load { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;
    use crate::scenario::RequestType;

    fn traffic(schedule: Vec<RateSegment>, law: ArrivalLaw) -> Traffic {
        Traffic {
            arrivals: law,
            schedule,
            users: 10,
            types: vec![
                RequestType {
                    name: "a".into(),
                    weight: 3.0,
                    op: Op::Read,
                },
                RequestType {
                    name: "b".into(),
                    weight: 1.0,
                    op: Op::Write,
                },
            ],
            timeout: None,
            keys: None,
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

    #[test]
    fn mix_follows_the_weights() {
        let schedule = vec![RateSegment {
            start: SimTime::ZERO,
            end: SimTime::MAX,
            from: 1.0,
            to: 1.0,
        }];
        let mix = Mix::new(&traffic(schedule, ArrivalLaw::Poisson));
        let mut rng = stream_rng(5, 0, &["mix"]);
        let a = (0..100_000).filter(|_| mix.draw(&mut rng) == 0).count() as f64;
        // Binomial sd = sqrt(100000 * 0.75 * 0.25) = 137: allow 5 sd.
        assert!((a - 75_000.0).abs() < 685.0, "{a}");
    }
}
