//! Parameter sweeps: the grid of a `--vary`, the outline every shard of a
//! sweep shares, shards (slices of a sweep's runs that run apart, on a
//! cluster, and merge into the same results), and the plan that searches a
//! grid for the cheapest setup meeting service-level objectives.

pub mod grid;
pub mod outline;
pub mod plan;
pub mod shard;

pub use grid::{check_axes, grid, leading_number, Axis, MAX_POINTS};
pub use outline::{Outline, PointOutline};
