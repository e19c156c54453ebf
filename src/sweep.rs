//! Parameter sweeps: the grid of a `--vary`, the outline every shard of a
//! sweep shares, and shards (slices of a sweep's runs that run apart, on a
//! cluster, and merge into the same results).

pub mod grid;
pub mod outline;
pub mod shard;

pub use grid::{grid, leading_number, Axis, MAX_POINTS};
pub use outline::{Outline, PointOutline};
