//! The parts of a simulated architecture: each kind of component, the clients
//! (traffic) and the failure schedule. Each owns its YAML shape, its
//! validation and its behaviour.
//!
//! - [`kind`]: the two traits a kind implements, [`Kind`] (its settings and
//!   facts) and [`Part`] (its behaviour while it runs), and what each is given.
//! - [`kinds`]: the registry, one line per kind, and one module per kind.
//! - [`traffic`] and [`failures`]: the clients and the failure schedule.
//! - [`world`]: the state every part of a run shares, and the helpers that
//!   send messages between parts.
//! - [`station`], [`lifecycle`], [`machine`], [`data`], [`expiring`]: what
//!   kinds share (cores and a queue; replicas that go down and up; machine
//!   sizes and prices; the figures of data stores; per-user state that
//!   expires when idle).
//! - [`topology`] and [`geography`]: the facts of the components that any
//!   part may read, and the regions they sit in.
//! - [`calls`]: the calls a component makes after its work: sequences and
//!   parallel groups, and per-edge timeouts, retries, bulkheads and breakers.
//! - [`relay`]: the jobs of a part that forwards requests and relays the
//!   answers (balancers, proxies): their work on its cores, and a crash.
//! - [`health`]: probes that take dead machines out of rotation, shared by
//!   balancers, proxies and DNS.

pub mod calls;
pub mod cron;
pub mod data;
pub mod expiring;
pub mod failures;
pub mod geography;
pub mod health;
pub mod kind;
pub mod kinds;
pub mod lifecycle;
pub mod machine;
pub mod relay;
pub mod station;
pub mod topology;
pub mod traffic;
pub mod world;

pub use kind::{BuildContext, DynKind, Kind, Part, SpecContext};
pub use kinds::{AnyPart, ComponentDecl, ComponentSpec, Registry, KINDS};
pub use topology::{SessionFacts, Topology};
pub use world::{
    answer_probe, note_start, send_call, send_load, send_reply, send_reply_after, Ctx, World,
};
