//! Closed-form results of queueing theory: the references the simulator is
//! validated against, and the analytic curves drawn beside simulated ones.

use crate::engine::SimTime;
use crate::keys::{probabilities, KeySpace};
use crate::model::Op;
use crate::parts::kinds::cache::EvictionKind;
use crate::parts::kinds::load_balancer::StrategyKind;
use crate::parts::traffic::{ArrivalLaw, Source};
use crate::parts::ComponentSpec;
use crate::scenario::Scenario;

/// Erlang B: blocking probability of an M/M/c/c system with offered load `a` = lambda / mu.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    // The stable recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1.
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Erlang C: probability that an arrival waits in an M/M/c queue with load `a` = lambda / mu.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

/// Mean waiting time in queue of a stable M/M/c queue (same unit as 1 / `mu`).
pub fn mmc_wait(c: u32, lambda: f64, mu: f64) -> f64 {
    erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda)
}

/// Probability that the response time (wait plus service) of a stable FIFO
/// M/M/c queue exceeds `t` (same unit as 1 / `mu`): the wait is 0 with
/// probability 1 - C and exponential of rate theta = c mu - lambda otherwise
/// (C from Erlang C), and the service is exponential of rate mu.
pub fn mmc_response_tail(c: u32, lambda: f64, mu: f64, t: f64) -> f64 {
    let wait = erlang_c(c, lambda / mu);
    let theta = f64::from(c) * mu - lambda;
    let tail_of_sum = if (theta - mu).abs() < 1e-12 * mu {
        // The sum of two exponentials of one rate is an Erlang-2.
        (1.0 + mu * t) * (-mu * t).exp()
    } else {
        (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
    };
    (1.0 - wait) * (-mu * t).exp() + wait * tail_of_sum
}

/// The `q` quantile of the response time of a stable FIFO M/M/c queue (same
/// unit as 1 / `mu`), by bisection on [`mmc_response_tail`].
pub fn mmc_response_quantile(c: u32, lambda: f64, mu: f64, q: f64) -> f64 {
    let target = 1.0 - q;
    let mut high = 1.0 / mu;
    while mmc_response_tail(c, lambda, mu, high) > target && high < 1e12 {
        high *= 2.0;
    }
    let mut low = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if mmc_response_tail(c, lambda, mu, mid) > target {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

/// The mean number of deliveries of a message whose every delivery fails
/// with probability `p`, given up after `max` deliveries: (1 - p^max) / (1 - p).
pub fn deliveries_per_message(p: f64, max: u32) -> f64 {
    if p >= 1.0 {
        return f64::from(max);
    }
    (1.0 - p.powi(max as i32)) / (1.0 - p)
}

/// The mean number of extra runs (duplicates) of a job of exponential work
/// of mean `s` behind a visibility timeout `v`, with idle workers and no
/// limit on deliveries: delivery k + 1 happens at time k v when the k
/// earlier runs, started at 0, v, ..., (k - 1) v, are all still going, which
/// has probability exp(-(v / s) k (k + 1) / 2); every run ends, so each
/// redelivery is one duplicate. Its first term, exp(-v / s), is the
/// probability that the job runs at least twice.
pub fn duplicates_per_job(v: f64, s: f64) -> f64 {
    (1..=1000)
        .map(|k| (-(v / s) * f64::from(k * (k + 1)) / 2.0).exp())
        .take_while(|term| *term > 0.0)
        .sum()
}

/// Stationary distribution of the number in an M/M/c/K system (K = total capacity).
pub fn mmck_distribution(c: u32, k: u32, lambda: f64, mu: f64) -> Vec<f64> {
    let mut p = vec![1.0];
    for n in 1..=k {
        let servers = f64::from(n.min(c));
        let next = p[(n - 1) as usize] * lambda / (servers * mu);
        p.push(next);
    }
    let total: f64 = p.iter().sum();
    p.iter().map(|x| x / total).collect()
}

/// Pollaczek-Khinchine mean wait of an M/G/1 queue with service mean `s` and
/// squared coefficient of variation `scv`.
pub fn mg1_wait(lambda: f64, s: f64, scv: f64) -> f64 {
    let rho = lambda * s;
    rho * s * (1.0 + scv) / (2.0 * (1.0 - rho))
}

/// What exact mean value analysis gives for a closed network.
#[derive(Clone, Debug, PartialEq)]
pub struct Mva {
    /// Mean response time over the queueing stations (think time excluded),
    /// in the unit of the demands.
    pub response: f64,
    /// Throughput: requests answered per unit of time.
    pub throughput: f64,
    /// Mean number of requests at each station (waiting or in service).
    pub queues: Vec<f64>,
}

/// Exact mean value analysis (Reiser and Lavenberg, 1980) of a closed
/// network of `users` customers who think `think` on average between
/// requests, each request visiting single-server FCFS stations with
/// exponential service of total demand `demands[k]` at station k (product
/// form, so the arrival theorem holds).
///
/// With n users: `R_k(n) = D_k (1 + Q_k(n - 1))`, `X(n) = n / (Z + sum_k
/// R_k(n))`, `Q_k(n) = X(n) R_k(n)`, from `Q_k(0) = 0`.
pub fn mva(demands: &[f64], think: f64, users: u32) -> Mva {
    let mut queues = vec![0.0; demands.len()];
    let mut response = 0.0;
    let mut throughput = 0.0;
    for n in 1..=users {
        let times: Vec<f64> = demands
            .iter()
            .zip(&queues)
            .map(|(d, q)| d * (1.0 + q))
            .collect();
        response = times.iter().sum();
        throughput = f64::from(n) / (think + response);
        for (q, r) in queues.iter_mut().zip(&times) {
            *q = throughput * r;
        }
    }
    Mva {
        response,
        throughput,
        queues,
    }
}

/// Blocking probability of an M/G/1/K queue: Poisson arrivals, one server,
/// room for `k` requests in all (the one in service included), offered load
/// `rho` = λ·E\[S\], where `arrivals(n)` is the probability that `n` requests
/// arrive during one service.
///
/// The number left behind by departures is a Markov chain on 0..k−1 (the
/// embedded chain); its stationary law π gives the blocking probability
/// `1 − 1 / (π₀ + ρ)` (Gross and Harris, *Fundamentals of Queueing Theory*,
/// M/G/1/K): the server is busy a share `1 − p₀` of the time, so the
/// admitted rate λ(1 − P_K) equals (1 − p₀)/E\[S\], and PASTA with the
/// departures' view of the queue gives p₀ = π₀ (1 − P_K).
pub fn mg1k_blocking(k: u32, rho: f64, arrivals: impl Fn(u32) -> f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let k = k as usize;
    let a: Vec<f64> = (0..k as u32).map(&arrivals).collect();
    // Balance of state j (j < k − 1): π_j = π₀ a_j + Σ_{i=1}^{j+1} π_i a_{j−i+1},
    // solved for π_{j+1} from π₀ = 1, then normalised.
    let mut pi = vec![1.0];
    for j in 0..k - 1 {
        let inflow: f64 = (1..=j).map(|i| pi[i] * a[j - i + 1]).sum();
        pi.push((pi[j] - pi[0] * a[j] - inflow) / a[0]);
    }
    let total: f64 = pi.iter().sum();
    1.0 - 1.0 / (pi[0] / total + rho)
}

/// Blocking probability of an M/D/1/K queue with offered load `rho`: the
/// arrivals during a service of fixed length are Poisson of mean `rho`.
pub fn md1k_blocking(k: u32, rho: f64) -> f64 {
    mg1k_blocking(k, rho, |n| {
        // e^−ρ ρⁿ / n!, built up term by term.
        (1..=n).fold((-rho).exp(), |p, i| p * rho / f64::from(i))
    })
}

/// The rate a token bucket of `burst` tokens refilled continuously at `rate`
/// lets through from Poisson arrivals at `lambda` (per second both).
///
/// The bucket's deficit (burst minus its tokens), counted in refill time, is
/// the work in an M/D/1 queue whose requests each bring one token's refill
/// time, 1/rate, and which admits a request only while the deficit is at most
/// burst − 1 tokens: with deterministic service that is exactly while fewer
/// than `burst` requests are in the system. So the bucket is an M/D/1/K queue
/// with K = burst and ρ = λ/rate, and lets through λ(1 − P_K). With burst 1
/// this is λ·rate/(λ + rate), as the M/G/1/1 loss system gives.
pub fn token_bucket_admitted(lambda: f64, rate: f64, burst: u32) -> f64 {
    lambda * (1.0 - md1k_blocking(burst, lambda / rate))
}

/// Solves `occupancy(T) = capacity` for the characteristic time `T` of a cache
/// (in requests), where `occupancy` is increasing from 0 to the key count.
fn characteristic_time(capacity: f64, occupancy: impl Fn(f64) -> f64) -> f64 {
    let mut high = 1.0;
    while occupancy(high) < capacity && high < 1e300 {
        high *= 2.0;
    }
    let mut low = 0.0;
    // Bisection to the last bit: the occupancy is monotone, so this cannot fail.
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if occupancy(mid) < capacity {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

/// Che's characteristic time of an LRU cache of `capacity` entries, in
/// requests, for keys asked independently with probabilities `p`: the `T`
/// such that `sum_i (1 - exp(-p_i T)) = capacity` (Che, Tung and Wang, 2002).
pub fn che_characteristic_time(p: &[f64], capacity: f64) -> f64 {
    characteristic_time(capacity, |t| p.iter().map(|pi| -(-pi * t).exp_m1()).sum())
}

/// Che's approximation of the hit ratio of an LRU cache of `capacity`
/// entries under independent requests with key probabilities `p`: a key is in
/// the cache when it was asked within the last `T` requests, so its hit
/// probability is `1 - exp(-p_i T)`. Returns 1 when every key fits.
pub fn che_lru_hit_ratio(p: &[f64], capacity: f64) -> f64 {
    if capacity >= p.len() as f64 {
        return 1.0;
    }
    let t = che_characteristic_time(p, capacity);
    p.iter().map(|pi| pi * -(-pi * t).exp_m1()).sum()
}

/// The characteristic-time approximation of the hit ratio of a FIFO or a
/// random-eviction cache (the two coincide under independent requests,
/// Gelenbe 1973): key i is cached with probability `p_i T / (1 + p_i T)`,
/// with `T` such that these sum to `capacity` (Martina, Garetto and Leonardi, 2014).
pub fn fifo_hit_ratio(p: &[f64], capacity: f64) -> f64 {
    if capacity >= p.len() as f64 {
        return 1.0;
    }
    let t = characteristic_time(capacity, |t| {
        p.iter().map(|pi| pi * t / (1.0 + pi * t)).sum()
    });
    p.iter().map(|pi| pi * (pi * t / (1.0 + pi * t))).sum()
}

/// Expected number of distinct keys among `requests` independent draws with
/// key probabilities `p`: `sum_i 1 - (1 - p_i)^requests`. A cache that holds
/// every key misses exactly once per distinct key.
pub fn expected_distinct(p: &[f64], requests: f64) -> f64 {
    p.iter()
        .map(|pi| -(requests * (-pi).ln_1p()).exp_m1())
        .sum()
}

/// Probability that the response time (wait plus service) of a stable M/M/c
/// queue exceeds `t`: an arrival waits with the Erlang C probability, and a
/// waiting one waits an exponential time of rate cμ − λ, so the response time
/// is S, or S plus that wait (S exponential of rate μ).
pub fn mmc_sojourn_tail(c: u32, lambda: f64, mu: f64, t: f64) -> f64 {
    let waits = erlang_c(c, lambda / mu);
    let theta = f64::from(c) * mu - lambda;
    let service = (-mu * t).exp();
    // The tail of S + W for two exponentials; the limit θ → μ is Erlang-2.
    let sum = if (theta - mu).abs() < 1e-9 * mu {
        service * (1.0 + mu * t)
    } else {
        (theta * service - mu * (-theta * t).exp()) / (theta - mu)
    };
    (1.0 - waits) * service + waits * sum
}

/// The `q`-quantile of the response time of a stable M/M/c queue (same unit
/// as 1 / `mu`), or `None` when the queue is unstable (λ ≥ cμ).
pub fn mmc_sojourn_quantile(c: u32, lambda: f64, mu: f64, q: f64) -> Option<f64> {
    if lambda >= f64::from(c) * mu || !(0.0..1.0).contains(&q) {
        return None;
    }
    let mut high = 1.0 / mu;
    while mmc_sojourn_tail(c, lambda, mu, high) > 1.0 - q {
        high *= 2.0;
    }
    let mut low = 0.0;
    // The tail decreases in t: bisection to the last bit.
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if mmc_sojourn_tail(c, lambda, mu, mid) > 1.0 - q {
            low = mid;
        } else {
            high = mid;
        }
    }
    Some(0.5 * (low + high))
}

/// The station every request of a scenario starts with, when it bounds the
/// latency from below: the entry is a `server` and no request can leave it
/// before its work is done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EntryStation {
    /// Time on a core per request at this speed, in seconds (work / speed).
    pub service_s: f64,
    /// Whether the work is exponential (otherwise deterministic).
    pub exponential: bool,
    /// Cores of all its replicas together.
    pub cores: u64,
    /// Whether its queue is unbounded.
    pub unbounded: bool,
    /// The arrival rate, per second, when it is constant.
    pub rate: Option<f64>,
}

impl EntryStation {
    /// Returns the `q`-quantile of the service time alone, in seconds: no
    /// request is answered before its work is done, so no number of cores
    /// brings that quantile of the latency below it.
    pub fn service_quantile_s(&self, q: f64) -> f64 {
        if self.exponential {
            -(1.0 - q).ln() * self.service_s
        } else {
            self.service_s
        }
    }

    /// Returns the offered load in busy cores (λ·S), when the rate is constant.
    pub fn offered_load(&self) -> Option<f64> {
        self.rate.map(|r| r * self.service_s)
    }

    /// Returns true when the load exceeds its cores and the queue has no
    /// bound: the queue then grows without end and no latency settles.
    pub fn unstable(&self) -> bool {
        self.unbounded && self.offered_load().is_some_and(|a| a >= self.cores as f64)
    }
}

/// Returns the entry station of `scenario` when every completed request's
/// latency is at least its service time there and that time has a known law:
/// the entry is a `server` without sessions, with the same exponential or
/// deterministic work for every request type, and no timeout, retry or
/// failure can end a request early or pick which requests complete (a timeout
/// would drop the longest services and bias the completed ones low).
pub fn entry_station(scenario: &Scenario) -> Option<EntryStation> {
    let traffic = &scenario.traffic;
    if traffic.timeout.is_some() || traffic.retry.is_some() || !scenario.failures.is_empty() {
        return None;
    }
    let ComponentSpec::Server(server) = &scenario.components[scenario.entry].spec else {
        return None;
    };
    let station = &server.station;
    let work = *station.work.first()?;
    let exponential = station.shape.is_exponential();
    let known = exponential || matches!(station.shape, crate::dist::Shape::Deterministic);
    if !known || server.sessions.is_some() || station.work.iter().any(|w| *w != work) {
        return None;
    }
    let constant = traffic.arrivals == ArrivalLaw::Poisson
        && traffic.schedule.len() == 1
        && traffic.schedule[0].from == traffic.schedule[0].to;
    Some(EntryStation {
        service_s: work.as_secs_f64() / station.speed,
        exponential,
        cores: u64::from(station.cores) * u64::from(server.replicas),
        unbounded: station.queue.is_none(),
        rate: constant.then(|| traffic.schedule[0].from),
    })
}

/// What theory predicts for a scenario that is exactly a queueing model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Mean response time of answered requests, in milliseconds.
    pub mean_latency_ms: f64,
    /// Mean wait in queue of answered requests, in milliseconds: the mean
    /// response time less the mean service time 1/μ (Erlang C's Wq without
    /// a bound on the queue).
    pub mean_wait_ms: f64,
    /// Fraction of requests answered (1 minus the blocking probability).
    pub availability: f64,
    /// Mean utilisation of the cores.
    pub utilization: f64,
}

/// A scenario that is exactly one M/M/c station (or M/M/c/K with a bounded
/// queue): the rates and sizes its formulas need.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Station {
    /// Arrival rate at one station, per second (the whole rate split over
    /// the replicas behind a random balancer).
    pub lambda: f64,
    /// Service rate of one core, per second.
    pub mu: f64,
    /// Cores of the station: the servers of the queue.
    pub cores: u32,
    /// Waiting room beyond the cores (`None`: unbounded).
    pub queue: Option<u32>,
    /// Identical stations the traffic is split over at random (1 without a balancer).
    pub replicas: u32,
    /// The index of the server among the components (behind the entry
    /// when the entry is a balancer).
    pub server: usize,
}

impl Station {
    /// Returns the offered load per core, ρ = λ / (c μ).
    pub fn rho(&self) -> f64 {
        self.lambda / (f64::from(self.cores) * self.mu)
    }

    /// Returns the mean wait in queue in milliseconds of an unbounded,
    /// stable station (M/M/c, through Erlang C); `None` otherwise.
    pub fn mean_wait_ms(&self) -> Option<f64> {
        (self.queue.is_none() && self.rho() < 1.0)
            .then(|| mmc_wait(self.cores, self.lambda, self.mu) * 1000.0)
    }

    /// Returns the probability that an arrival waits (Erlang C) at an
    /// unbounded, stable station; `None` otherwise.
    pub fn wait_probability(&self) -> Option<f64> {
        (self.queue.is_none() && self.rho() < 1.0)
            .then(|| erlang_c(self.cores, self.lambda / self.mu))
    }
}

/// Returns the station a scenario is exactly, when it is one: an open loop of Poisson
/// arrivals at a constant rate, no timeout, no failure and no cron job, and
/// an entry that is one server with exponential work, the same mean for every
/// request type and no calls, or a balancer that adds no time (no work, no
/// network latency) in front of such a server: of one replica, whatever the
/// strategy (every request goes to it), or of several behind a random
/// strategy (random splitting makes each replica its own M/M/c; round robin
/// would make each one's arrivals more regular than Poisson). Not autoscaled.
/// Returns `None` otherwise, whatever the load.
pub fn station(scenario: &Scenario) -> Option<Station> {
    let traffic = &scenario.traffic;
    if traffic.source != Source::Open
        || traffic.arrivals != ArrivalLaw::Poisson
        || traffic.timeout.is_some()
        || traffic.schedule.len() != 1
        || !scenario.failures.is_empty()
        || !scenario.cron.is_empty()
    {
        return None;
    }
    let rate = traffic.schedule[0].from;
    let (index, server, split) = match &scenario.components[scenario.entry].spec {
        ComponentSpec::Server(s) if s.replicas == 1 => (scenario.entry, s, 1),
        ComponentSpec::LoadBalancer(b) => {
            let target = *b.routes.first()?;
            let transparent = b.routes.iter().all(|&r| r == target)
                && b.station.work.iter().all(|w| *w == SimTime::ZERO)
                && b.capacity.is_none()
                && scenario.network.latency == SimTime::ZERO
                && scenario.network.links.is_empty();
            match &scenario.components[target].spec {
                ComponentSpec::Server(s)
                    if transparent && (s.replicas == 1 || b.strategy == StrategyKind::Random) =>
                {
                    (target, s, s.replicas)
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    let work = server.station.work.first()?;
    // An autoscaled server's replicas come and go: no fixed M/M/c.
    let pure = server.autoscale.is_none()
        && server.station.shape.is_exponential()
        && server.station.work.iter().all(|w| w == work)
        && !server.calls.any()
        && *work > SimTime::ZERO;
    if !pure {
        return None;
    }
    Some(Station {
        lambda: rate / f64::from(split),
        mu: server.station.speed / work.as_secs_f64(),
        cores: server.station.cores,
        queue: server.station.queue,
        replicas: split,
        server: index,
    })
}

/// Returns the M/M/c (or M/M/c/K) prediction when `scenario` is exactly such a
/// model ([`station`]). Returns `None` otherwise, or when the queue is
/// unbounded and unstable.
pub fn predict(scenario: &Scenario) -> Option<Prediction> {
    let Station {
        lambda,
        mu,
        cores: c,
        queue,
        ..
    } = station(scenario)?;
    match queue {
        None => {
            if lambda >= f64::from(c) * mu {
                return None;
            }
            let wait = mmc_wait(c, lambda, mu);
            Some(Prediction {
                mean_latency_ms: (wait + 1.0 / mu) * 1000.0,
                mean_wait_ms: wait * 1000.0,
                availability: 1.0,
                utilization: lambda / (f64::from(c) * mu),
            })
        }
        Some(queue) => {
            let k = c + queue;
            let p = mmck_distribution(c, k, lambda, mu);
            let blocked = p[k as usize];
            let in_system: f64 = p.iter().enumerate().map(|(n, pn)| n as f64 * pn).sum();
            let admitted = lambda * (1.0 - blocked);
            Some(Prediction {
                mean_latency_ms: in_system / admitted * 1000.0,
                // Every answered request is served once, for 1/μ on average.
                mean_wait_ms: (in_system / admitted - 1.0 / mu) * 1000.0,
                availability: 1.0 - blocked,
                utilization: admitted / (f64::from(c) * mu),
            })
        }
    }
}

/// A cache whose hit ratio Che's approximation gives: one LRU node, no TTL,
/// reads only, keys drawn independently from the traffic's key space.
#[derive(Clone, Debug, PartialEq)]
pub struct LruCache {
    /// The cache's index among the components.
    pub component: usize,
    /// Entries it holds.
    pub capacity: u32,
    /// The keys the requests draw from.
    pub keys: KeySpace,
}

impl LruCache {
    /// Returns Che's approximation of the long-run hit ratio.
    pub fn hit_ratio(&self) -> f64 {
        che_lru_hit_ratio(&probabilities(&self.keys), f64::from(self.capacity))
    }
}

/// The most keys whose probabilities [`lru_caches`] computes: Che's
/// approximation costs memory and time in proportion to the key count.
pub const MAX_CHE_KEYS: u32 = 1 << 20;

/// Returns the caches of `scenario` that Che's approximation describes: a
/// single node with LRU eviction and no TTL, caching data for a backend (not
/// keeping sessions, which are keyed by user), in a scenario whose requests
/// all read (a write would invalidate entries) and draw keys from one key
/// space of at most [`MAX_CHE_KEYS`] keys. The reads must reach the cache
/// (it is the entry, or the entry calls it, directly or not) and only they
/// may fill it: a cache no request reads, or one a cron job warms, is no
/// LRU cache under independent reads.
pub fn lru_caches(scenario: &Scenario) -> Vec<LruCache> {
    let traffic = &scenario.traffic;
    let Some(keys) = traffic.keys else {
        return Vec::new();
    };
    if keys.count > MAX_CHE_KEYS || traffic.types.iter().any(|t| t.op != Op::Read) {
        return Vec::new();
    }
    let read = reached_from_entry(scenario);
    let warmed = |i: usize| scenario.cron.iter().any(|c| c.warms == Some(i));
    scenario
        .components
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match &c.spec {
            ComponentSpec::Cache(cache)
                if read[i]
                    && !warmed(i)
                    && cache.replicas == 1
                    && cache.eviction == EvictionKind::Lru
                    && cache.ttl.is_none()
                    && cache.keys_given
                    && cache.backend.is_some()
                    && !scenario.topology.is_session_store(i) =>
            {
                Some(LruCache {
                    component: i,
                    capacity: cache.capacity,
                    keys,
                })
            }
            _ => None,
        })
        .collect()
}

/// Returns, per component, whether a client request can reach it: the
/// entry, and whom a reached component calls, directly or not.
fn reached_from_entry(scenario: &Scenario) -> Vec<bool> {
    let mut reached = vec![false; scenario.components.len()];
    let mut stack = vec![scenario.entry];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        stack.extend(scenario.components[i].spec.downstream());
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mm10_at_load_8_gives_the_textbook_figures() {
        // lambda 8/s, 1 s of work, 10 servers: P(wait) 0.4092, p99 4.946 s.
        assert!((erlang_c(10, 8.0) - 0.4092).abs() < 1e-4);
        let p99 = mmc_response_quantile(10, 8.0, 1.0, 0.99);
        assert!((p99 - 4.946).abs() < 1e-3, "{p99}");
        // The tail at 0 is 1; the median of one server's response is ln 2 / (mu - lambda).
        assert!((mmc_response_tail(10, 8.0, 1.0, 0.0) - 1.0).abs() < 1e-12);
        let median = mmc_response_quantile(1, 0.5, 1.0, 0.5);
        assert!((median - 2f64.ln() / 0.5).abs() < 1e-9, "{median}");
        assert!((deliveries_per_message(0.5, 3) - 1.75).abs() < 1e-12);
        let d = duplicates_per_job(2.0, 1.0);
        assert!((d - ((-2f64).exp() + (-6f64).exp() + (-12f64).exp())).abs() < 1e-6);
    }

    #[test]
    fn formulas_match_published_values() {
        // Erlang B(4, 3) = 3.375 / 16.375; Erlang C(2, 1) = 1/3.
        assert!((erlang_b(4, 3.0) - 3.375 / 16.375).abs() < 1e-12);
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // M/M/1 as M/M/c with c = 1: Wq = rho / (mu - lambda).
        assert!((mmc_wait(1, 0.5, 1.0) - 1.0).abs() < 1e-12);
        // M/M/1/K with K = 1 is Erlang B with c = 1.
        let p = mmck_distribution(1, 1, 2.0, 1.0);
        assert!((p[1] - erlang_b(1, 2.0)).abs() < 1e-12);
        // M/D/1 at rho = 0.5 with s = 1: Wq = 0.5.
        assert!((mg1_wait(0.5, 1.0, 0.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn mva_gives_the_published_closed_loop_values() {
        // One station of demand 0.1 s, 20 users thinking 1 s.
        let m = mva(&[0.1], 1.0, 20);
        assert!((m.response - 1.0037).abs() < 5e-5, "R {}", m.response);
        assert!((m.throughput - 9.9813).abs() < 5e-5, "X {}", m.throughput);
        // The response time law and Little's law hold exactly.
        assert!((m.response - (20.0 / m.throughput - 1.0)).abs() < 1e-12);
        assert!((m.queues[0] - m.throughput * m.response).abs() < 1e-12);
        // One user never waits: R = D, X = 1 / (D + Z).
        let one = mva(&[0.1, 0.3], 2.0, 1);
        assert!((one.response - 0.4).abs() < 1e-12);
        assert!((one.throughput - 1.0 / 2.4).abs() < 1e-12);
        // Many users saturate the bottleneck: X -> 1 / D_max.
        let many = mva(&[0.1, 0.3], 2.0, 500);
        assert!((many.throughput - 1.0 / 0.3).abs() < 1e-6);
    }

    #[test]
    fn the_m_g_1_k_chain_matches_known_cases() {
        // Exponential service: n arrivals during a service with probability
        // ρⁿ / (1 + ρ)^(n+1); the chain must give the M/M/1/K birth-death law.
        for rho in [0.3f64, 1.0, 1.7] {
            for k in 1..=8 {
                let geometric = |n: u32| (rho / (1.0 + rho)).powi(n as i32) / (1.0 + rho);
                let chain = mg1k_blocking(k, rho, geometric);
                let exact = mmck_distribution(1, k, rho, 1.0)[k as usize];
                assert!(
                    (chain - exact).abs() < 1e-12,
                    "ρ {rho}, K {k}: {chain} vs {exact}"
                );
            }
        }
        // K = 1 is the loss system, insensitive to the law of service.
        assert!((md1k_blocking(1, 2.0) - 2.0 / 3.0).abs() < 1e-12);
        // M/D/1/2 by hand: π₁/π₀ = (1 − a₀)/a₀ = e^ρ − 1, so
        // P₂ = 1 − 1/(e^−ρ + ρ) at ρ = 1.
        let by_hand = 1.0 - 1.0 / ((-1.0f64).exp() + 1.0);
        assert!((md1k_blocking(2, 1.0) - by_hand).abs() < 1e-12);
        // A deterministic server smooths: less blocking than an exponential one.
        assert!(md1k_blocking(5, 1.0) < mmck_distribution(1, 5, 1.0, 1.0)[5]);
        // The token bucket: burst 1 at λ = r = 100/s lets 50/s through, and a
        // deep bucket under light load lets nearly everything through.
        assert!((token_bucket_admitted(100.0, 100.0, 1) - 50.0).abs() < 1e-12);
        assert!((token_bucket_admitted(50.0, 100.0, 40) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn cache_approximations_behave_at_their_limits() {
        // Uniform popularity over n keys: LRU and FIFO both hit C / n exactly
        // in the limit, and Che gives 1 - exp(-T / n) = C / n.
        let p = vec![0.01; 100];
        assert!((che_lru_hit_ratio(&p, 25.0) - 0.25).abs() < 1e-9);
        assert!((fifo_hit_ratio(&p, 25.0) - 0.25).abs() < 1e-9);
        assert_eq!(che_lru_hit_ratio(&p, 100.0), 1.0);
        // Skewed popularity: LRU beats FIFO, and both beat the capacity share.
        let weights: Vec<f64> = (1..=1000).map(|i| 1.0 / f64::from(i)).collect();
        let total: f64 = weights.iter().sum();
        let zipf: Vec<f64> = weights.iter().map(|w| w / total).collect();
        let (lru, fifo) = (che_lru_hit_ratio(&zipf, 50.0), fifo_hit_ratio(&zipf, 50.0));
        assert!(lru > fifo && fifo > 0.05, "lru {lru}, fifo {fifo}");
        // Two keys of probability 1/2 in 2 draws: 1.5 distinct on average.
        assert!((expected_distinct(&[0.5, 0.5], 2.0) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn mmc_response_time_quantiles() {
        // M/M/1: the response time is exponential of rate μ − λ.
        let q99 = mmc_sojourn_quantile(1, 0.5, 1.0, 0.99).unwrap();
        assert!((q99 - 100f64.ln() / 0.5).abs() < 1e-9, "{q99}");
        // The tail at the quantile is 1%, also where cμ − λ = μ (Erlang-2 branch).
        let t = mmc_sojourn_quantile(6, 50.0, 10.0, 0.99).unwrap();
        assert!((mmc_sojourn_tail(6, 50.0, 10.0, t) - 0.01).abs() < 1e-12);
        // Many idle cores: the response time is the service time alone.
        let idle = mmc_sojourn_quantile(50, 1.0, 10.0, 0.99).unwrap();
        assert!((idle - 100f64.ln() / 10.0).abs() < 1e-9, "{idle}");
        // The branch θ = μ agrees with its neighbours.
        let near = mmc_sojourn_tail(6, 50.0 + 1e-6, 10.0, 0.3);
        assert!((near - mmc_sojourn_tail(6, 50.0, 10.0, 0.3)).abs() < 1e-6);
        assert!(mmc_sojourn_quantile(5, 50.0, 10.0, 0.99).is_none());
    }

    #[test]
    fn the_entry_station_bounds_latency_from_below() {
        let text = "name: q\nduration: 1h\ntraffic: {rate: 50/s}\nentry: web\n\
                    components:\n  web: {kind: server, cores: 5, work: 100ms}\n";
        let s = crate::scenario::load_text(text, "t", &[]).unwrap();
        let e = entry_station(&s).unwrap();
        assert!((e.service_quantile_s(0.99) - 0.1 * 100f64.ln()).abs() < 1e-12);
        assert!(e.unstable(), "50/s of 100 ms on 5 cores is a load of 5");
        let timed = text.replace("{rate: 50/s}", "{rate: 50/s, timeout: 1s}");
        assert!(entry_station(&crate::scenario::load_text(&timed, "t", &[]).unwrap()).is_none());
    }

    #[test]
    fn che_describes_only_a_cache_that_the_reads_reach_and_alone_fill() {
        let read = "name: c\nduration: 1h\ntraffic: {rate: 50/s, keys: {count: 2000}}\n\
                    entry: web\ncomponents:\n  web: {kind: server, work: 2ms, calls: [pages]}\n  \
                    pages: {kind: cache, capacity: 500, backend: render}\n  \
                    render: {kind: server, cores: 8, work: 40ms}\n";
        let s = crate::scenario::load_text(read, "t", &[]).unwrap();
        assert_eq!(lru_caches(&s).len(), 1);
        // The same cache when the requests go straight to its backend.
        let unread = read.replace("calls: [pages]", "calls: [render]");
        let s = crate::scenario::load_text(&unread, "t", &[]).unwrap();
        assert!(lru_caches(&s).is_empty(), "no request reads it");
        // Read, but refilled by a batch job.
        let warmed = format!(
            "{read}cron:\n  - {{name: w, every: 1m, on: render, work: 1s, warms: pages}}\n"
        );
        let s = crate::scenario::load_text(&warmed, "t", &[]).unwrap();
        assert!(lru_caches(&s).is_empty(), "a cron job fills it");
    }

    #[test]
    fn a_balancer_that_adds_nothing_leaves_the_station_whole() {
        let behind = "name: q\nduration: 1h\ntraffic: {rate: 3.6/s}\nentry: lb\n\
                      network: {latency: 0ms}\ncomponents:\n  \
                      lb: {kind: load_balancer, strategy: round_robin, targets: web}\n  \
                      web: {kind: server, cores: 4, work: 1s}\n";
        let s = crate::scenario::load_text(behind, "t", &[]).unwrap();
        let st = station(&s).expect("one replica behind any strategy is M/M/4");
        assert_eq!((st.cores, st.replicas, st.server), (4, 1, 1));
        // Round robin over clones makes each one's arrivals regular: no M/M/c.
        let clones = behind.replace("cores: 4", "cores: 4, replicas: 2");
        assert!(station(&crate::scenario::load_text(&clones, "t", &[]).unwrap()).is_none());
        // A balancer one hop away adds time.
        let far = behind.replace("latency: 0ms", "latency: 1ms");
        assert!(station(&crate::scenario::load_text(&far, "t", &[]).unwrap()).is_none());
    }

    #[test]
    fn predicts_only_pure_queueing_models() {
        let mm4 = "name: q\nduration: 1h\ntraffic: {rate: 3.6/s}\nentry: web\n\
                   components:\n  web: {kind: server, cores: 4, work: 1s}\n";
        let s = crate::scenario::load_text(mm4, "t", &[]).unwrap();
        let p = predict(&s).unwrap();
        assert!((p.mean_latency_ms - (mmc_wait(4, 3.6, 1.0) + 1.0) * 1000.0).abs() < 1e-9);
        assert!((p.mean_wait_ms - mmc_wait(4, 3.6, 1.0) * 1000.0).abs() < 1e-9);
        // Erlang loss: nobody waits.
        let loss = mm4.replace("work: 1s}", "work: 1s, queue: 0}");
        let p = predict(&crate::scenario::load_text(&loss, "t", &[]).unwrap()).unwrap();
        assert!(p.mean_wait_ms.abs() < 1e-9, "{}", p.mean_wait_ms);
        let md1 = mm4.replace("work: 1s", "work: 1s, service: deterministic");
        assert!(predict(&crate::scenario::load_text(&md1, "t", &[]).unwrap()).is_none());
        let overloaded = mm4.replace("3.6/s", "5/s");
        assert!(predict(&crate::scenario::load_text(&overloaded, "t", &[]).unwrap()).is_none());
    }
}
