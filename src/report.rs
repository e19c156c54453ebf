//! Reports of results: the terminal table, JSON, CSV, charts and the HTML report.

pub mod charts;
pub mod critical;
pub mod csv;
pub mod data;
pub mod diagram;
pub mod explain;
pub mod folder;
pub mod format;
pub mod html;
pub mod json;
pub mod lessons;
pub mod little;
pub mod reading;
pub mod response_law;
pub mod table;

use std::sync::atomic::AtomicBool;

pub use folder::{write_atomic, Files};

use crate::error::Result;
use data::Comparison;

/// Returns every file of a comparison's results, in memory: `results.json`,
/// `results.csv`, `timeseries.csv`, each chart as PNG and SVG, and
/// `report.html` (write them with [`folder::publish`]).
///
/// Stops between charts once `cancel` is set
/// ([`Error::Interrupted`](crate::Error::Interrupted)).
pub fn comparison_files(data: &Comparison, cancel: Option<&AtomicBool>) -> Result<Files> {
    let mut files = Files::new();
    files.add("results.json", json::render_comparison(data));
    files.add("results.csv", csv::results(&data.results, &[], &[])?);
    files.add("timeseries.csv", csv::time_series(&data.results)?);
    folder::check(cancel)?;
    let drawn = charts::comparison(data, cancel)?;
    let page = html::comparison(data, &drawn)?;
    for chart in drawn {
        chart.add_to(&mut files);
    }
    files.add(html::FILE, page);
    Ok(files)
}
