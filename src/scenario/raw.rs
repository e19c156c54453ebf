//! The unvalidated shape of the top-level sections of a scenario file.
//!
//! These types only fix the field names and their types; ranges, references and
//! cross-field rules are checked in `assemble`.

use serde::Deserialize;

use crate::spec::{Duration, Fraction};

/// The `slo:` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub success: Option<Fraction>,
    pub window: Option<Duration>,
    pub latency: Option<Duration>,
}

/// The `network:` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub latency: Option<Duration>,
    pub ipc: Option<Duration>,
    pub links: Option<Vec<RawLink>>,
    pub regions: Option<Vec<RawLink>>,
}

/// One entry of `network.links` (two components) or `network.regions`
/// (two regions).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    pub between: Vec<String>,
    pub latency: Duration,
}
