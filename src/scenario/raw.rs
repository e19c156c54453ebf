//! The unvalidated shape of the top-level sections of a scenario file.
//!
//! These types only fix the field names and their types; ranges, references and
//! cross-field rules are checked in `validate`.

use indexmap::IndexMap;
use serde::Deserialize;

use super::units::{Duration, Fraction, Rate};
use super::{ArrivalLaw, Op};
use crate::keys::PopularityName;
use crate::traffic::Jitter;

/// The `traffic:` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraffic {
    pub rate: Option<Rate>,
    pub schedule: Option<Vec<RawStep>>,
    pub arrivals: Option<ArrivalLaw>,
    pub users: Option<u64>,
    pub requests: Option<IndexMap<String, RawRequestType>>,
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub keys: Option<RawKeys>,
    pub backoff: Option<RawBackoff>,
}

/// `traffic.backoff`: the waits before retries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackoff {
    pub base: Option<Duration>,
    pub max: Option<Duration>,
    pub jitter: Option<Jitter>,
    pub budget: Option<Fraction>,
}

/// The `slo:` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub success: Option<Fraction>,
    pub window: Option<Duration>,
}

/// The `traffic.keys` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeys {
    pub count: u64,
    pub popularity: Option<PopularityName>,
    pub s: Option<f64>,
}

/// One step of `traffic.schedule`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub at: Duration,
    pub rate: Rate,
    pub ramp: Option<Duration>,
}

/// One entry of `traffic.requests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequestType {
    pub weight: f64,
    pub op: Option<Op>,
}

/// The `network:` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub latency: Option<Duration>,
    pub ipc: Option<Duration>,
    pub links: Option<Vec<RawLink>>,
}

/// One entry of `network.links`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    pub between: Vec<String>,
    pub latency: Duration,
}
