//! A generic discrete-event engine.
//!
//! The engine knows nothing about web architectures: it orders events by
//! `(time, insertion sequence)`, hands each one to the component it is addressed
//! to, and lets that component schedule more through a [`Ctx`]. Late events
//! ([`Ctx::send_late`]) come after every other event of their instant, for
//! sources of new work. The message type `M` and the shared state `S` belong
//! to the model built on top of it.

mod queue;
mod rng;
mod sim;
mod time;

pub use queue::{Event, EventQueue};
pub use rng::{fnv1a, request_rng, stream_rng, stream_seed, RequestRng, SimRng};
pub use sim::{BatchEnd, Component, ComponentId, Ctx, Simulation};
pub use time::SimTime;
