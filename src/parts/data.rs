//! The figures that every data store (cache or database) reports about the
//! reads and writes it saw, declared once so that both kinds mean the same.

use crate::metrics::{Better, Measure, Unit};

/// Reads it answered inside the measured window.
pub const READS: Measure = Measure::new("reads", "reads", Unit::Count, Better::Neither);

/// Writes it saw inside the measured window.
pub const WRITES: Measure = Measure::new("writes", "writes", Unit::Count, Better::Neither);

/// Reads that returned a value older than the last acknowledged write.
pub const STALE_READS: Measure =
    Measure::new("stale_reads", "stale reads", Unit::Count, Better::Lower);

/// The share of reads that were stale.
pub const STALE_READ_RATIO: Measure = Measure::new(
    "stale_read_ratio",
    "stale reads",
    Unit::Share,
    Better::Lower,
)
.lesson(Some(0.0));
