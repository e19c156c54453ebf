//! The client side: when requests arrive, what type they are, who sends them,
//! and what happens to their answers.
//!
//! - [`spec`]: the `traffic:` section, its checks and the validated [`Traffic`];
//! - [`arrivals`]: arrival times from a schedule of rates, or a trace;
//! - [`trace`]: arrival times replayed from a file;
//! - [`mix`]: the type of each request;
//! - [`retry`]: the waits before retries;
//! - [`client`]: the clients as a part of the run.

pub mod arrivals;
pub mod client;
pub mod mix;
pub mod retry;
pub mod spec;
pub mod trace;

pub use arrivals::Arrivals;
pub use client::{Client, ClientStreams, AHEAD};
pub use mix::Mix;
pub use retry::{Jitter, RetryPolicy, BUDGET_CAP};
pub use spec::{
    declared_types, origin_of, parse, ArrivalLaw, ClosedLoop, RateSegment, RequestType, Source,
    Traffic,
};
pub use trace::Trace;
