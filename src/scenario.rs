//! Scenario files: parsing, validation and the checked [`Scenario`] they become.
//!
//! The path from text to a runnable model has three steps, each with its own type:
//! the YAML text is read into a tree (with positions kept aside by [`locate`]),
//! `--set` overrides edit that tree, and validation turns it into a [`Scenario`]
//! whose every reference resolves and every value is in range. Errors at any step
//! name the file, line, column and field path, and all of a file's errors are
//! reported together.

pub mod locate;
mod overrides;
mod raw;
pub mod units;
mod validate;

use std::path::Path;

use crate::components::ComponentSpec;
use crate::engine::SimTime;
use crate::error::{Error, ScenarioError};
use crate::failures::FailureSpec;
use crate::keys::KeySpace;
use crate::metrics::Slo;
use crate::traffic::RetryPolicy;

pub use overrides::Override;
pub use units::{Duration, Fraction, Price, Rate};
pub use validate::{
    explain, no_such_component, parse as parse_value, parse_all, parse_lenient, unknown_field,
};

/// A validated scenario, ready to be simulated.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Display name.
    pub name: String,
    /// Free text describing the setup (may be empty).
    pub about: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// When arrivals stop.
    pub duration: SimTime,
    /// Statistics exclude requests that arrive before this time.
    pub warmup: SimTime,
    /// The client side: arrivals, request mix, users, timeout.
    pub traffic: Traffic,
    /// Index (in `components`) of the component that receives client requests.
    pub entry: usize,
    /// Latency between machines and between co-located components.
    pub network: Network,
    /// The components, in file order.
    pub components: Vec<ComponentDecl>,
    /// Crashes, power losses and slow-downs to inflict.
    pub failures: Vec<FailureSpec>,
    /// The objective against which availability over time is judged.
    pub slo: Slo,
    /// Regions and the zones each one holds.
    pub regions: Vec<(String, Vec<String>)>,
}

/// One named component of a scenario.
#[derive(Clone, Debug)]
pub struct ComponentDecl {
    /// Its name in the file.
    pub name: String,
    /// The machine it runs on; components with the same host talk by IPC.
    pub host: Option<String>,
    /// The zone (data centre, rack, power domain) of each replica.
    pub zones: Vec<String>,
    /// Time a replica takes to start after a repair.
    pub boot: SimTime,
    /// Its kind and settings.
    pub spec: ComponentSpec,
}

/// How client requests arrive.
#[derive(Clone, Debug)]
pub struct Traffic {
    /// Poisson or evenly spaced arrivals.
    pub arrivals: ArrivalLaw,
    /// The arrival rate over time, as consecutive segments; the last one never ends.
    pub schedule: Vec<RateSegment>,
    /// Number of distinct clients (user ids drawn uniformly).
    pub users: u32,
    /// Request types and their weights in the mix, in file order.
    pub types: Vec<RequestType>,
    /// How long a client waits for an answer before giving up on an attempt.
    pub timeout: Option<SimTime>,
    /// Retries after a failed, rejected or timed-out attempt.
    pub retry: Option<RetryPolicy>,
    /// The keys requests are about (`None`: requests carry no key, all key 0).
    pub keys: Option<KeySpace>,
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
}

/// What a request type does to the data it is about, as written in `op:`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Reads its key (the default: most traffic reads).
    #[default]
    Read,
    /// Writes its key: caches invalidate or update it, databases replicate it.
    Write,
}

/// Latencies between components.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// One-way latency of a hop between two machines.
    pub latency: SimTime,
    /// One-way latency of a hop between two components on the same host.
    pub ipc: SimTime,
    /// Per-link overrides: (component, component, one-way latency).
    pub links: Vec<(usize, usize, SimTime)>,
}

impl Scenario {
    /// Returns the index of the component called `name`.
    pub fn component_index(&self, name: &str) -> Option<usize> {
        self.components.iter().position(|c| c.name == name)
    }

    /// Returns every zone name, in order of first appearance: a zone's id is its index.
    pub fn zone_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for zone in self.components.iter().flat_map(|c| &c.zones) {
            if !names.contains(zone) {
                names.push(zone.clone());
            }
        }
        names
    }

    /// Returns the id of the zone called `name`.
    pub fn zone_id(&self, name: &str) -> Option<u16> {
        self.zone_names()
            .iter()
            .position(|z| z == name)
            .map(|i| i as u16)
    }

    /// Returns the mean arrival rate (per second) over the measured window.
    pub fn mean_rate(&self) -> f64 {
        let (from, to) = (self.warmup, self.duration);
        let span = (to - from).as_secs_f64();
        if span <= 0.0 {
            return 0.0;
        }
        // Integrate the piecewise-linear rate with a fine trapezoid rule.
        let steps = 10_000u64;
        let dt = (to - from).0 / steps;
        let mut total = 0.0;
        for i in 0..steps {
            let t = SimTime(from.0 + i * dt + dt / 2);
            total += self.rate_at(t) * SimTime(dt).as_secs_f64();
        }
        total / span
    }

    /// Returns the arrival rate (per second) at time `t`.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        self.traffic
            .schedule
            .iter()
            .find(|s| t >= s.start && t < s.end)
            .map_or(0.0, |s| s.rate_at(t))
    }
}

/// Reads, overrides and validates the scenario file at `path`.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(load_text(&text, &path.display().to_string(), overrides)?)
}

/// Parses, overrides and validates scenario `text`; `file` names it in errors.
pub fn load_text(
    text: &str,
    file: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    validate::load(text, file, overrides)
}
