//! Example: simulate an M/M/4 queue from a scenario written inline.
//!
//! This example demonstrates:
//! - loading a scenario from text with `scenario::load_text`;
//! - running one replication with `runner::simulate`;
//! - reading the figures of the summary.
//!
//! ```text
//!   clients --(3.6/s, Poisson)--> [ web: 4 cores, 1 s exponential work ]
//! ```

#![allow(clippy::expect_used)]

use scalesim::{runner, scenario};

fn main() {
    let text = "
name: M/M/4
seed: 7
duration: 2h
warmup: 5m
traffic: {rate: 3.6/s}
entry: web
components:
  web: {kind: server, cores: 4, work: 1s, service: exponential}
";
    let scenario = scenario::load_text(text, "inline", &[]).expect("the scenario is valid");
    let summary = runner::simulate(&scenario, 0);
    println!(
        "{}: {} requests, mean latency {:.0} ms, utilisation {:.2}",
        summary.scenario,
        summary.requests.completed,
        summary.latency_ms.mean,
        summary.components[0].utilization
    );
}
