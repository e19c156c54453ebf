//! Charts of results, as PNG and SVG files.

use std::path::{Path, PathBuf};

use super::data::{Comparison, SweepData};
use crate::error::Result;

/// Draws every chart of a comparison into `out`; returns the files written.
pub fn comparison(_out: &Path, _data: &Comparison) -> Result<Vec<PathBuf>> {
    Ok(Vec::new())
}

/// Draws the curves of a sweep into `out`; returns the files written.
pub fn sweep(_out: &Path, _data: &SweepData) -> Result<Vec<PathBuf>> {
    Ok(Vec::new())
}
