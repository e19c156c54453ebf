//! Scenario files: the checked [`Scenario`] they become, and the way there.
//!
//! The path from text to a runnable model has three steps, each with its own type:
//! the YAML text is read into a tree (with positions kept aside by
//! [`crate::spec::locate`]), `--set` overrides edit that tree, and the sections
//! are assembled into a [`Scenario`] whose every reference resolves and every
//! value is in range. Each part reads its own section ([`crate::parts`]);
//! this module reads the top level, the network and the objective, and checks
//! what involves several components at once. Errors at any step name the
//! file, line, column and field path, and all of a file's errors are reported
//! together.

mod assemble;
mod load;
mod overrides;
mod raw;
mod topology;

use std::path::Path;

use crate::engine::SimTime;
use crate::error::{Error, ScenarioError};
use crate::metrics::Slo;
use crate::parts::failures::FailureSpec;
use crate::parts::traffic::Traffic;
use crate::parts::{ComponentDecl, Registry, Topology};

pub use overrides::Override;

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
    /// The facts of the components (names, machines, hosts, zones).
    pub topology: Topology,
    /// Crashes, power losses and slow-downs to inflict.
    pub failures: Vec<FailureSpec>,
    /// The objective against which availability over time is judged.
    pub slo: Slo,
    /// Regions and the zones each one holds.
    pub regions: Vec<(String, Vec<String>)>,
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
    load::load(text, file, overrides, &Registry::builtin())
}

/// Like [`load_text`], with the kinds of `registry` (which may add kinds
/// defined outside the crate).
pub fn load_text_with(
    text: &str,
    file: &str,
    overrides: &[Override],
    registry: &Registry,
) -> Result<Scenario, ScenarioError> {
    load::load(text, file, overrides, registry)
}
