//! The largest sizes a scenario may ask for, each checked before anything of
//! that size is allocated.

/// Most replicas (machines) one component may have: each holds its own queue
/// and statistics, so this bounds the memory of the topology.
pub const MAX_REPLICAS: u32 = 100_000;
