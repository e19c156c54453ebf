//! The `traffic:` section: its shape in the file, its checks, and the
//! validated [`Traffic`] the clients are built from.

use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

use super::retry::{self, RawBackoff, RetryPolicy};
use super::trace::Trace;
use crate::engine::SimTime;
use crate::keys::{KeySpace, Popularity, PopularityName};
use crate::model::Op;
use crate::spec::limits::{MAX_CLOSED_USERS, MAX_RATE, MAX_REQUEST_TYPES};
use crate::spec::units::{format_duration, format_scientific};
use crate::spec::{
    join_index, join_key, parse as parse_value, parse_lenient, refused, Duration, Fraction, Issue,
    Rate, Timeout,
};

/// Default client population when `traffic.users` is absent.
const DEFAULT_USERS: u64 = 1000;

/// Zipf exponent when `popularity: zipf` gives no `s`: the classic law, where
/// the key of rank i is asked i times less often than the most popular one.
const DEFAULT_ZIPF_S: f64 = 1.0;

/// How client requests arrive.
#[derive(Clone, Debug)]
pub struct Traffic {
    /// Poisson or evenly spaced arrivals.
    pub arrivals: ArrivalLaw,
    /// The arrival rate over time, as consecutive segments; the last one never ends.
    pub schedule: Vec<RateSegment>,
    /// The users who send the requests: how many, and how active each one is
    /// (user 0 is the most active under a Zipf law).
    pub users: KeySpace,
    /// The region each user lives in, as shares of the users in file order
    /// (empty: users live nowhere in particular). See [`origin_of`].
    pub origins: Vec<(String, f64)>,
    /// Request types and their weights in the mix, in file order.
    pub types: Vec<RequestType>,
    /// How long a client waits for an answer before giving up on an attempt.
    pub timeout: Option<SimTime>,
    /// Retries after a failed, rejected or timed-out attempt.
    pub retry: Option<RetryPolicy>,
    /// The keys requests are about (`None`: requests carry no key, all key 0).
    pub keys: Option<KeySpace>,
    /// Where the requests come from: an open stream at the rates of
    /// `schedule`, a closed loop of users, or a trace.
    pub source: Source,
}

impl Traffic {
    /// Returns true if, from the same seed, `other` draws the same arrivals
    /// as this traffic: the same times, types, users and keys. A closed
    /// loop never does (its users send again when answered, so its arrivals
    /// follow the architecture); timeouts and retries change what follows an
    /// arrival, not the arrivals.
    pub fn same_arrivals(&self, other: &Traffic) -> bool {
        !matches!(self.source, Source::Closed(_))
            && self.source == other.source
            && self.arrivals == other.arrivals
            && self.schedule == other.schedule
            && self.users == other.users
            && self.origins == other.origins
            && self.types == other.types
            && self.keys == other.keys
    }
}

/// Where the client requests come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// An open loop: arrivals at the rates of the schedule, whatever the
    /// answers.
    Open,
    /// A closed loop (`traffic.closed`): each user sends a request, waits
    /// for its end, thinks, and sends the next.
    Closed(ClosedLoop),
    /// Arrivals replayed from a file (`traffic.trace`).
    Trace(Arc<Trace>),
}

/// The users of a closed loop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClosedLoop {
    /// How many users (N); user `i` has the id `i`.
    pub users: u32,
    /// Mean think time between the end of a request and the next (Z),
    /// drawn from the exponential law.
    pub think: SimTime,
}

/// The law of the gaps between arrivals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalLaw {
    /// Exponential gaps: a (possibly time-varying) Poisson process.
    Poisson,
    /// Evenly spaced arrivals at the current rate.
    Constant,
}

/// A stretch of time over which the rate is constant or changes linearly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateSegment {
    /// Start of the segment.
    pub start: SimTime,
    /// End of the segment (`SimTime::MAX` for the last one).
    pub end: SimTime,
    /// Rate at the start, per second.
    pub from: f64,
    /// Rate at the end, per second (equal to `from` for a step).
    pub to: f64,
}

impl RateSegment {
    /// Returns the rate (per second) at time `t` inside the segment.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        if self.from == self.to || self.end == SimTime::MAX {
            return self.from;
        }
        let span = (self.end - self.start).0 as f64;
        let x = (t - self.start).0 as f64 / span;
        self.from + (self.to - self.from) * x.clamp(0.0, 1.0)
    }
}

/// A kind of request in the mix.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestType {
    /// Its name (`read`, `write`...).
    pub name: String,
    /// Its relative weight in the mix.
    pub weight: f64,
    /// Whether it reads or writes the data tier.
    pub op: Op,
    /// Whether it is hostile traffic, which a proxy's firewall drops.
    pub hostile: bool,
    /// Whether it carries credentials; a proxy's auth check refuses those
    /// that do not.
    pub authenticated: bool,
}

impl RequestType {
    /// The one type of a mix that names none: `request`, a read with
    /// credentials, weight 1.
    pub fn only() -> Self {
        RequestType {
            name: "request".into(),
            weight: 1.0,
            op: Op::Read,
            hostile: false,
            authenticated: true,
        }
    }
}

/// The `traffic:` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTraffic {
    rate: Option<Rate>,
    schedule: Option<Vec<RawStep>>,
    arrivals: Option<ArrivalLaw>,
    users: Option<serde_json::Value>,
    origins: Option<IndexMap<String, Fraction>>,
    requests: Option<IndexMap<String, RawRequestType>>,
    timeout: Option<Timeout>,
    retries: Option<u32>,
    keys: Option<RawKeys>,
    backoff: Option<RawBackoff>,
    closed: Option<RawClosed>,
    trace: Option<String>,
}

/// `traffic.closed`: a closed loop of users.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClosed {
    users: u64,
    think: Duration,
}

/// The `traffic.keys` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    count: u64,
    popularity: Option<PopularityName>,
    s: Option<f64>,
}

/// One step of `traffic.schedule`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    at: Duration,
    rate: Rate,
    ramp: Option<Duration>,
}

/// One entry of `traffic.requests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequestType {
    weight: f64,
    op: Option<Op>,
    hostile: Option<bool>,
    authenticated: Option<bool>,
}

/// `traffic.users` written as a mapping.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUsers {
    count: u64,
    activity: Option<PopularityName>,
    s: Option<f64>,
}

/// Reads and checks the `traffic:` section (`None` when it is missing);
/// returns `None` when something essential is wrong (already reported). A
/// trace file is read relative to `base`, the folder of the scenario file.
pub fn parse(
    value: Option<&serde_json::Value>,
    base: &Path,
    issues: &mut Vec<Issue>,
) -> Option<Traffic> {
    let Some(value) = value else {
        issues.push(Issue::new("traffic", "missing field `traffic`"));
        return None;
    };
    // A `rate` that is written but wrong (or empty) is reported as such, not
    // as missing.
    // So is a `closed` or a `trace` that is written but wrong: the rate is
    // then not missing either.
    let rate_written = ["rate", "closed", "trace"]
        .iter()
        .any(|field| value.get(field).is_some());
    let open_written = value.get("rate").is_some();
    let raw: RawTraffic = parse_lenient(value, "traffic", issues)?;
    check_traffic(raw, (rate_written, open_written), base, issues)
}

/// Returns the request types a `traffic:` section declares, as far as they
/// read (a refused field of a type takes its default), or `None` when it
/// declares none that can be read.
///
/// When the section is refused as a whole (a bad trace, a bad rate), the
/// components are still checked against the types the file names: checked
/// against the lone `request` of a file without a mix, each would report
/// false mistakes on top of the real one.
pub fn declared_types(value: Option<&serde_json::Value>) -> Option<Vec<RequestType>> {
    let requests = value?.get("requests")?.as_object()?;
    if requests.is_empty() || requests.len() > MAX_REQUEST_TYPES {
        return None;
    }
    let types = requests.iter().map(|(name, body)| {
        let raw = serde_json::from_value::<RawRequestType>(body.clone()).ok();
        RequestType {
            name: name.clone(),
            weight: raw.as_ref().map_or(1.0, |t| t.weight),
            op: raw.as_ref().and_then(|t| t.op).unwrap_or_default(),
            hostile: raw.as_ref().and_then(|t| t.hostile).unwrap_or(false),
            authenticated: raw.as_ref().and_then(|t| t.authenticated).unwrap_or(true),
        }
    });
    Some(types.collect())
}

/// Checks the traffic; `rate_written` says the file has a source of
/// requests (`rate`, `closed` or `trace`, possibly one that failed to parse
/// and was already reported), `open_written` that it has a `rate`.
fn check_traffic(
    raw: RawTraffic,
    (rate_written, open_written): (bool, bool),
    base: &Path,
    issues: &mut Vec<Issue>,
) -> Option<Traffic> {
    let open = check_exclusive(&raw, open_written, issues);
    let schedule = if open {
        check_schedule(&raw, rate_written, issues)
    } else {
        Some(vec![RateSegment {
            start: SimTime::ZERO,
            end: SimTime::MAX,
            from: 0.0,
            to: 0.0,
        }])
    };
    let retry = check_retry(&raw, issues);
    let users = check_users(raw.users.as_ref(), issues);
    let origins = check_origins(raw.origins.as_ref(), issues);
    let types = match raw.requests {
        None => vec![RequestType::only()],
        Some(requests) if requests.len() > MAX_REQUEST_TYPES => {
            issues.push(Issue::new(
                "traffic.requests",
                format!(
                    "expected at most {MAX_REQUEST_TYPES} request types, found {}",
                    requests.len()
                ),
            ));
            vec![RequestType::only()]
        }
        Some(requests) => {
            let mut types = Vec::new();
            for (name, t) in requests {
                if !(t.weight.is_finite() && t.weight >= 0.0) {
                    issues.push(Issue::new(
                        format!("traffic.requests.{name}.weight"),
                        format!("expected a non-negative weight, found {}", t.weight),
                    ));
                }
                types.push(RequestType {
                    name,
                    weight: t.weight,
                    op: t.op.unwrap_or_default(),
                    hostile: t.hostile.unwrap_or(false),
                    authenticated: t.authenticated.unwrap_or(true),
                });
            }
            if types.is_empty() || types.iter().map(|t| t.weight).sum::<f64>() <= 0.0 {
                issues.push(Issue::new(
                    "traffic.requests",
                    "expected at least one request type with a positive weight (the weights sum to zero)",
                ));
            }
            types
        }
    };
    let keys = raw.keys.as_ref().map(|k| check_keys(k, issues));
    let (source, users) = match (&raw.closed, &raw.trace) {
        (Some(closed), _) => {
            let closed = check_closed(closed, issues);
            let users = KeySpace {
                count: closed.users,
                popularity: Popularity::Uniform,
            };
            (Source::Closed(closed), users)
        }
        (None, Some(file)) => match Trace::read(file, base, &types) {
            Ok(trace) => (Source::Trace(Arc::new(trace)), users),
            Err(message) => {
                issues.push(Issue::new("traffic.trace", message));
                return None;
            }
        },
        (None, None) => (Source::Open, users),
    };
    Some(Traffic {
        source,
        retry,
        arrivals: raw.arrivals.unwrap_or(ArrivalLaw::Poisson),
        schedule: schedule?,
        users,
        origins,
        types,
        timeout: raw.timeout.map(|t| t.0),
        keys,
    })
}

/// Checks that the traffic has one source of requests: rates (`rate`,
/// `schedule`, `arrivals`), `closed` or `trace`; with `closed`, the users are
/// the loop's, so `users` is refused too. Returns true for an open loop.
fn check_exclusive(raw: &RawTraffic, rate_written: bool, issues: &mut Vec<Issue>) -> bool {
    let (closed, trace) = (raw.closed.is_some(), raw.trace.is_some());
    if closed && trace {
        issues.push(Issue::new(
            "traffic.trace",
            "give either `closed` users or a `trace`, not both",
        ));
    }
    if !(closed || trace) {
        return true;
    }
    let source = if closed { "closed" } else { "trace" };
    let open_fields = [
        ("rate", rate_written),
        ("schedule", raw.schedule.is_some()),
        ("arrivals", raw.arrivals.is_some()),
    ];
    for (field, written) in open_fields {
        if written {
            issues.push(Issue::new(
                join_key("traffic", field),
                format!(
                    "`{field}` applies to an open loop, and this traffic has `{source}`: \
                     give one source of requests (rate or schedule, closed, or trace)"
                ),
            ));
        }
    }
    if closed && raw.users.is_some() {
        issues.push(Issue::new(
            "traffic.users",
            "with `closed`, the users are the loop's (`closed.users`, each with its own id): \
             remove `users`",
        ));
    }
    false
}

/// Checks `traffic.closed`: a positive number of users (at most
/// [`MAX_CLOSED_USERS`]) and a think time (zero allowed: users that send
/// again at once) that keeps the users' pace, users over think time, within
/// the arrival rate an open loop may have ([`MAX_RATE`]).
fn check_closed(raw: &RawClosed, issues: &mut Vec<Issue>) -> ClosedLoop {
    if raw.users == 0 || raw.users > u64::from(MAX_CLOSED_USERS) {
        issues.push(Issue::new(
            "traffic.closed.users",
            format!(
                "expected a positive number of users (at most {MAX_CLOSED_USERS}), found {}",
                raw.users
            ),
        ));
    }
    // Over whole nanoseconds, so that round think times give round rates.
    let pace = raw.users as f64 * SimTime::NANOS_PER_SEC as f64 / raw.think.0 .0 as f64;
    if raw.think.0 > SimTime::ZERO && pace > MAX_RATE {
        issues.push(Issue::new(
            "traffic.closed.think",
            format!(
                "{} users thinking {} send up to {} requests per second, above the \
                 {MAX_RATE:e} an arrival rate may reach (think longer)",
                raw.users,
                format_duration(raw.think.0),
                format_scientific(pace)
            ),
        ));
    }
    ClosedLoop {
        users: raw.users.clamp(1, u64::from(MAX_CLOSED_USERS)) as u32,
        think: raw.think.0,
    }
}

/// Builds the retry policy from `retries` and `backoff`.
fn check_retry(raw: &RawTraffic, issues: &mut Vec<Issue>) -> Option<RetryPolicy> {
    retry::policy(raw.retries, raw.backoff.as_ref(), "traffic", issues)
}

/// Checks `traffic.keys`: a positive count that fits the key type, and a
/// positive exponent given only to a Zipf law.
fn check_keys(raw: &RawKeys, issues: &mut Vec<Issue>) -> KeySpace {
    check_population(
        ("traffic.keys", "traffic.keys.count", "popularity", "keys"),
        raw.count,
        raw.popularity,
        raw.s,
        issues,
    )
}

/// Checks `traffic.users`: a number of equally active users, or
/// `{count, activity: uniform | zipf, s}`.
fn check_users(value: Option<&serde_json::Value>, issues: &mut Vec<Issue>) -> KeySpace {
    let path = "traffic.users";
    let raw = match value {
        None => RawUsers {
            count: DEFAULT_USERS,
            activity: None,
            s: None,
        },
        Some(object @ serde_json::Value::Object(_)) => {
            match parse_value::<RawUsers>(object, path) {
                Ok(raw) => raw,
                Err(issue) => {
                    issues.push(issue);
                    return KeySpace {
                        count: 1,
                        popularity: Popularity::Uniform,
                    };
                }
            }
        }
        Some(other) => match other.as_u64() {
            Some(count) => {
                // Written as a number, the count's path is the field itself.
                return check_population(
                    (path, path, "activity", "users"),
                    count,
                    None,
                    None,
                    issues,
                );
            }
            None => {
                issues.push(Issue::new(
                    path,
                    format!(
                        "expected a number of users, or {{count: 5000, activity: zipf, s: 1.0}}, found {other}"
                    ),
                ));
                return KeySpace {
                    count: 1,
                    popularity: Popularity::Uniform,
                };
            }
        },
    };
    let count_path = join_key(path, "count");
    check_population(
        (path, &count_path, "activity", "users"),
        raw.count,
        raw.activity,
        raw.s,
        issues,
    )
}

/// Checks a population of keys or users at `path`: a positive count (at
/// `count_path`) that fits in 32 bits, and a positive exponent given only to
/// a Zipf law (the law's field is `law`, the things counted `what`).
fn check_population(
    (path, count_path, law, what): (&str, &str, &str, &str),
    count: u64,
    name: Option<PopularityName>,
    s: Option<f64>,
    issues: &mut Vec<Issue>,
) -> KeySpace {
    let valid = count > 0 && count <= u64::from(u32::MAX);
    if !valid {
        issues.push(Issue::new(
            count_path,
            format!(
                "expected a positive number of {what} (at most {}), found {count}",
                u32::MAX,
            ),
        ));
    }
    let popularity = match (name.unwrap_or(PopularityName::Uniform), s) {
        (PopularityName::Uniform, None) => Popularity::Uniform,
        (PopularityName::Uniform, Some(_)) => {
            issues.push(Issue::new(
                join_key(path, "s"),
                format!("`s` applies only to `{law}: zipf`"),
            ));
            Popularity::Uniform
        }
        (PopularityName::Zipf, s) => {
            let s = s.unwrap_or(DEFAULT_ZIPF_S);
            if !(s.is_finite() && s > 0.0) {
                issues.push(Issue::new(
                    join_key(path, "s"),
                    format!(
                        "expected a positive Zipf exponent, found {s} (for {what} alike, use {law}: uniform)"
                    ),
                ));
            }
            Popularity::Zipf { s }
        }
    };
    KeySpace {
        // A count refused above stands in as 1, so that the checks of what
        // depends on it never quote a number the file does not hold.
        count: if valid { count as u32 } else { 1 },
        popularity,
    }
}

/// Checks `traffic.origins`: positive shares of the users that add up to
/// 100%. Whether each names a region is checked with the `regions:` section.
fn check_origins(
    raw: Option<&IndexMap<String, Fraction>>,
    issues: &mut Vec<Issue>,
) -> Vec<(String, f64)> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    if raw.is_empty() {
        issues.push(Issue::new(
            "traffic.origins",
            "expected shares of users by region, like {eu: 70%, us: 30%}",
        ));
    }
    for (region, share) in raw {
        // A share that is not a number is no positive share either.
        if share.0.is_nan() || share.0 <= 0.0 {
            issues.push(Issue::new(
                join_key("traffic.origins", region),
                format!("expected a positive share of the users, found {}", share.0),
            ));
        }
    }
    let total: f64 = raw.values().map(|f| f.0).sum();
    if !raw.is_empty() && (total - 1.0).abs() > 1e-9 {
        issues.push(Issue::new(
            "traffic.origins",
            format!(
                "the shares must add up to 100%, found {}%",
                (total * 1e6).round() / 1e4
            ),
        ));
    }
    raw.iter().map(|(r, f)| (r.clone(), f.0)).collect()
}

/// Returns the index (in `origins`) of the region user `user` lives in.
///
/// A user's region is a function of its id alone: the id is scrambled into a
/// point of [0, 1) that falls in one region's share. So about each share of
/// the *users* lives in each region, whatever their activity; under a Zipf
/// activity the share of *requests* from a region varies with where the few
/// heavy users happen to live.
pub fn origin_of(user: u32, origins: &[(String, f64)]) -> usize {
    const SALT: u64 = 0x6f72_6967_696e_7321;
    let point = (crate::keys::mix(u64::from(user) ^ SALT) >> 11) as f64 / (1u64 << 53) as f64;
    let mut below = 0.0;
    for (i, (_, share)) in origins.iter().enumerate() {
        below += share;
        if point < below {
            return i;
        }
    }
    origins.len().saturating_sub(1)
}

/// Builds the rate segments from `rate` and `schedule`.
fn check_schedule(
    raw: &RawTraffic,
    rate_written: bool,
    issues: &mut Vec<Issue>,
) -> Option<Vec<RateSegment>> {
    if let Some(rate) = raw.rate {
        if rate.per_sec <= 0.0 {
            issues.push(Issue::new(
                "traffic.rate",
                "expected a positive rate, found 0",
            ));
        }
    }
    let rates = raw
        .rate
        .iter()
        .map(|r| ("traffic.rate".to_string(), r.per_sec));
    let step_rates = raw.schedule.iter().flatten().enumerate().map(|(i, s)| {
        (
            join_key(&join_index("traffic.schedule", i), "rate"),
            s.rate.per_sec,
        )
    });
    for (path, rate) in rates.chain(step_rates) {
        if rate > MAX_RATE {
            issues.push(Issue::new(
                path,
                format!("a rate of {rate:e}/s is beyond what one simulation can take (at most {MAX_RATE:e}/s)"),
            ));
        }
    }
    let steps: &[RawStep] = raw.schedule.as_deref().unwrap_or(&[]);
    if raw.rate.is_none() && steps.is_empty() {
        if rate_written {
            return None;
        }
        issues.push(Issue::new(
            "traffic.rate",
            "missing field `rate` (or a `schedule` of rates)",
        ));
        return None;
    }
    let mut segments = Vec::new();
    let mut current = raw.rate.map_or(0.0, |r| r.per_sec);
    let mut start = SimTime::ZERO;
    if let Some(first) = steps.first() {
        if first.at.0 == SimTime::ZERO && raw.rate.is_some() {
            issues.push(Issue::new(
                "traffic.rate",
                "`rate` is never used: the schedule's first step is at 0s (remove `rate`, \
                 or start the schedule later)",
            ));
        }
        if first.at.0 > SimTime::ZERO && raw.rate.is_none() && !refused(issues, "traffic.rate") {
            issues.push(Issue::new(
                "traffic.schedule[0].at",
                "the schedule must start at 0s, or give `traffic.rate` for the time before it",
            ));
        }
    }
    for (i, step) in steps.iter().enumerate() {
        let path = join_index("traffic.schedule", i);
        let at = step.at.0;
        if i > 0 && at <= steps[i - 1].at.0 {
            issues.push(Issue::new(
                join_key(&path, "at"),
                "steps must be in increasing order of `at`",
            ));
            return None;
        }
        let ramp = step.ramp.map_or(SimTime::ZERO, |r| r.0);
        if let Some(next) = steps.get(i + 1) {
            // Steps out of order are reported at the next step, not as a ramp.
            if next.at.0 > at && at + ramp > next.at.0 {
                issues.push(Issue::new(
                    join_key(&path, "ramp"),
                    "the ramp must end before the next step begins",
                ));
            }
        }
        if at > start {
            segments.push(RateSegment {
                start,
                end: at,
                from: current,
                to: current,
            });
        }
        let target = step.rate.per_sec;
        if ramp > SimTime::ZERO {
            segments.push(RateSegment {
                start: at,
                end: at + ramp,
                from: current,
                to: target,
            });
        }
        start = at + ramp;
        current = target;
    }
    segments.push(RateSegment {
        start,
        end: SimTime::MAX,
        from: current,
        to: current,
    });
    if !steps.is_empty() && segments.iter().all(|s| s.from <= 0.0 && s.to <= 0.0) {
        issues.push(Issue::new(
            "traffic",
            "every rate of the schedule is zero: nothing would arrive",
        ));
    }
    Some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a `traffic:` section written as JSON.
    fn raw(value: serde_json::Value) -> RawTraffic {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("a traffic section: {e}"))
    }

    #[test]
    fn a_backoff_needs_retries_but_retries_may_be_turned_off() {
        let mut issues = Vec::new();
        let forgot = raw(serde_json::json!({"rate": "10/s", "backoff": {"base": "0ms"}}));
        assert!(check_retry(&forgot, &mut issues).is_none());
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].path, "traffic.backoff");
        issues.clear();
        let off =
            raw(serde_json::json!({"rate": "10/s", "retries": 0, "backoff": {"base": "0ms"}}));
        assert!(check_retry(&off, &mut issues).is_none());
        assert!(issues.is_empty(), "{issues:?}");
        let on = raw(serde_json::json!({"rate": "10/s", "retries": 2, "backoff": {"base": "0ms"}}));
        assert_eq!(check_retry(&on, &mut issues).map(|p| p.retries), Some(2));
        assert!(issues.is_empty(), "{issues:?}");
    }
}

#[cfg(test)]
mod population_tests {
    use super::*;

    /// Checks a `traffic:` section written as JSON; returns it and the issues.
    fn check(value: serde_json::Value) -> (Option<Traffic>, Vec<Issue>) {
        let mut issues = Vec::new();
        let traffic = parse(Some(&value), Path::new("."), &mut issues);
        (traffic, issues)
    }

    #[test]
    fn users_are_a_number_or_a_population_with_an_activity_law() {
        let (t, issues) = check(serde_json::json!({"rate": "10/s", "users": 50}));
        assert!(issues.is_empty(), "{issues:?}");
        let users = t.unwrap().users;
        assert_eq!((users.count, users.popularity), (50, Popularity::Uniform));
        let (t, issues) = check(serde_json::json!(
            {"rate": "10/s", "users": {"count": 5000, "activity": "zipf", "s": 1.2}}
        ));
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(t.unwrap().users.popularity, Popularity::Zipf { s: 1.2 });
        let (_, issues) = check(serde_json::json!({"rate": "10/s", "users": {"count": 0}}));
        assert_eq!(issues[0].path, "traffic.users.count");
        let (_, issues) = check(serde_json::json!({"rate": "10/s", "users": {"count": 9, "s": 1}}));
        assert_eq!(issues[0].path, "traffic.users.s");
        let (_, issues) = check(serde_json::json!({"rate": "10/s", "users": "many"}));
        assert_eq!(issues[0].path, "traffic.users");
    }

    #[test]
    fn request_types_may_be_hostile_or_without_credentials() {
        let (t, issues) = check(serde_json::json!({"rate": "10/s", "requests": {
            "page": {"weight": 90},
            "attack": {"weight": 5, "hostile": true},
            "anon": {"weight": 5, "authenticated": false},
        }}));
        assert!(issues.is_empty(), "{issues:?}");
        let flags: Vec<(bool, bool)> = t
            .unwrap()
            .types
            .iter()
            .map(|t| (t.hostile, t.authenticated))
            .collect();
        assert_eq!(flags, [(false, true), (true, true), (false, false)]);
    }

    #[test]
    fn origins_are_shares_that_add_up_to_all_the_users() {
        let (t, issues) = check(serde_json::json!(
            {"rate": "10/s", "origins": {"eu": "70%", "us": "30%"}}
        ));
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(t.unwrap().origins.len(), 2);
        let (_, issues) = check(serde_json::json!(
            {"rate": "10/s", "origins": {"eu": "70%", "us": "20%"}}
        ));
        assert_eq!(issues[0].path, "traffic.origins");
        assert!(issues[0].message.contains("90%"), "{}", issues[0].message);
    }

    #[test]
    fn each_region_holds_its_share_of_the_users() {
        let origins = vec![("eu".to_string(), 0.7), ("us".to_string(), 0.3)];
        let n = 100_000u32;
        let in_eu = (0..n).filter(|&u| origin_of(u, &origins) == 0).count() as f64;
        // The ids are scrambled independently: a binomial count, whose
        // standard deviation is sqrt(n p (1 - p)); five of them bound it.
        let sd = (f64::from(n) * 0.7 * 0.3).sqrt();
        assert!((in_eu - 0.7 * f64::from(n)).abs() < 5.0 * sd, "{in_eu}");
        assert_eq!(origin_of(7, &origins), origin_of(7, &origins));
    }
}
