//! Validation of the simulator against queueing theory.
//!
//! Each test runs independent replications of a scenario that is exactly a
//! textbook model, and checks that the theoretical value lies inside the
//! confidence interval of the replication means.
//!
//! The intervals are Student t intervals at 99.9%: this suite checks about
//! thirty quantities, so at 95% one true model would fail somewhere more often
//! than not; at 99.9% the family-wise false-alarm rate stays near 3%
//! (Bonferroni). Each test also bounds the interval's relative half-width, so a
//! test cannot pass merely because its interval is too wide to mean anything.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
mod theory;

mod autoscale;
mod availability;
mod cache;
mod calls;
mod closed;
mod cron;
mod database;
mod dns;
mod function;
mod journeys;
mod loss;
mod multi_server;
mod networks;
mod proxy;
mod queue;
mod sessions;
mod single_server;
