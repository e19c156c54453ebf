//! # scalesim
//!
//! A discrete-event simulator of scaling architectures. A scenario file
//! describes clients, load balancers, cloned servers, caches, databases and
//! the network between them; scalesim simulates it request by request and
//! reports latency, throughput, availability and consistency.
//!
//! ## Concepts
//!
//! - [`engine`]: a generic event loop (integer nanoseconds, events ordered by
//!   time then insertion) that knows nothing about web architectures.
//! - [`scenario`]: YAML files, parsed, overridden and validated into a [`scenario::Scenario`].
//! - [`components`]: one module per kind (`server`, `load_balancer`, `cache`,
//!   `database`...), each with its settings, its validation and its behaviour.
//! - [`keys`]: the keys requests read and write, and their popularity (Zipf).
//! - [`metrics`]: histograms and counters fed by the components, and summaries.
//! - [`runner`]: replications in parallel; [`report`]: tables and JSON.
//! - [`sweep`]: parameter grids; [`shard`]: a sweep split into slices that
//!   run apart (on a cluster) and merge into the same results.
//!
//! ## A minimal example
//!
//! ```
#![doc = include_str!("../examples/basic.rs")]
//! ```
//!
//! ## Adding a component kind
//!
//! Write `src/components/<kind>.rs` with its `Spec`, a `parse` function and a
//! type implementing [`engine::Component`]; then add one variant to
//! [`components::ComponentSpec`] and one arm to each of its `match`es. A new
//! component must answer every `Msg::Call` exactly once, through
//! [`model::send_reply`] (which sends a `Msg::Reply`, or ends the request
//! when the answer goes to clients that keep no record of it).

#![warn(missing_docs)]

pub mod bundled;
pub mod cli;
pub mod components;
pub mod dist;
pub mod engine;
pub mod error;
pub mod failures;
pub mod keys;
pub mod metrics;
pub mod model;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod shard;
pub mod showcase;
pub mod sweep;
pub mod theory;
pub mod traffic;

pub use error::{Error, Result};
