//! # scalesim
//!
//! A discrete-event simulator of scaling architectures. A scenario file
//! describes clients, load balancers, cloned servers, caches, databases and
//! the network between them; scalesim simulates it request by request and
//! reports latency, throughput, availability, consistency and cost.
//!
//! ## Module map
//!
//! The modules form layers. Each layer imports only from the layers above it
//! in this list, never from its own layer or a later one, so that the
//! dependencies have no circle (a test, `tests/integration/layers.rs`, reads this block
//! and fails on an import that breaks the rule):
//!
//! ```text
//! layer  modules          what they hold
//!  1     error engine     the errors every layer returns; a generic event loop
//!  2     spec dist keys   the toolkit of scenario files (units, field paths,
//!                         lenient parsing, limits); laws of random draws; keys
//!                         and their popularity
//!  3     model            the vocabulary of parts: messages, outcomes, requests
//!  4     metrics          what runs record, declared figures, summaries,
//!                         confidence intervals
//!  5     parts            each kind of component, the traffic and the failures:
//!                         YAML shape, validation and behaviour of each
//!  6     scenario         the sections assembled into a checked scenario
//!  7     theory runner    queueing formulas for a scenario; building and running
//!                         simulations (the only user of the parts' enum)
//!  8     report           table, JSON, CSV, charts, HTML report and reading;
//!                         the folder of results, written as one run
//!  9     sweep bundled    grids, shards and their merge; the bundled scenarios
//! 10     cli              the commands: the only code that prints
//! ```
//!
//! - [`engine`]: orders events by time then insertion, and knows nothing of
//!   web architectures.
//! - [`parts`]: one module per kind (`server`, `load_balancer`, `cache`,
//!   `database`...) in [`parts::kinds`], each listed once in its registry.
//! - [`metrics`]: histograms and counters fed by the parts, and the
//!   declaration of every figure ([`metrics::Measure`]), from which the
//!   reports are built.
//!
//! ## A minimal example
//!
//! ```
#![doc = include_str!("../examples/basic.rs")]
//! ```
//!
//! ## Adding a component kind
//!
//! A kind is one module and one line in the registry of
//! [`parts::kinds`]; a program can also add its own kinds without changing
//! scalesim, through [`parts::Registry`]. The guide, [`guide`], walks through
//! one.

#![warn(missing_docs)]

pub mod bundled;
pub mod cli;
pub mod dist;
pub mod engine;
pub mod error;
pub mod keys;
pub mod metrics;
pub mod model;
pub mod parts;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod spec;
pub mod sweep;
pub mod theory;

#[doc = include_str!("../docs/adding-a-kind.md")]
pub mod guide {}

pub use error::{Error, Result};
