//! Charts of results, as PNG and SVG files, and as SVG text for the HTML report.
//!
//! Each chart is one pure function in its own file that draws on any plotters
//! backend. This module decides which charts a result has data for and renders
//! each one twice: a PNG for slides and an SVG for the page and for editing.

pub mod axes;
pub mod cost_vs_p99;
pub mod gauges;
pub mod latency_cdf;
pub mod latency_percentiles;
pub mod place;
pub mod plan;
#[cfg(test)]
pub(crate) mod sample;
pub mod style;
pub mod sweep;
pub mod throughput_availability;
pub mod time_series;
pub mod utilization;

use std::sync::atomic::AtomicBool;

use plotters::coord::Shift;
use plotters::prelude::*;
use rayon::prelude::*;

use super::data::{Comparison, PlanData, SweepData};
use super::folder::{self, Files};
use crate::error::Result;

/// Which figure a [`Plot`] draws.
#[derive(Clone, Copy, Debug)]
enum Kind<'a> {
    /// Latency percentiles per scenario.
    LatencyPercentiles(&'a Comparison),
    /// Latency distribution per scenario.
    LatencyCdf(&'a Comparison),
    /// Throughput and availability per scenario.
    ThroughputAvailability(&'a Comparison),
    /// Load, throughput, latency and errors over the run.
    TimeSeries(&'a Comparison),
    /// The components' gauges over the run.
    Gauges(&'a Comparison),
    /// Price against tail latency.
    CostVsP99(&'a Comparison),
    /// Utilisation per component.
    Utilization(&'a Comparison),
    /// One metric of a sweep against its first parameter.
    Sweep(&'a SweepData, &'a str),
    /// The frontier of a plan (true: the charted objective is a ceiling).
    Plan(&'a PlanData, bool),
}

/// One chart to draw: its file stem, its title and its size.
#[derive(Clone, Debug)]
pub struct Plot<'a> {
    /// File name without extension (`latency_cdf`).
    pub stem: String,
    /// What the chart shows, for captions.
    pub title: String,
    /// Size \[px\].
    pub size: (u32, u32),
    kind: Kind<'a>,
}

impl<'a> Plot<'a> {
    /// Creates a plot of a comparison.
    fn of(kind: Kind<'a>, stem: &str, title: &str, size: (u32, u32)) -> Self {
        Self {
            stem: stem.to_string(),
            title: title.to_string(),
            size,
            kind,
        }
    }

    /// Draws the chart on `root`.
    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        style::fonts()?;
        match self.kind {
            Kind::LatencyPercentiles(data) => latency_percentiles::draw(root, data),
            Kind::LatencyCdf(data) => latency_cdf::draw(root, data),
            Kind::ThroughputAvailability(data) => throughput_availability::draw(root, data),
            Kind::TimeSeries(data) => time_series::draw(root, data),
            Kind::Gauges(data) => gauges::draw(root, data),
            Kind::CostVsP99(data) => cost_vs_p99::draw(root, data),
            Kind::Utilization(data) => utilization::draw(root, data),
            Kind::Sweep(data, metric) => sweep::draw(root, data, metric),
            Kind::Plan(data, ceiling) => plan::draw(root, data, ceiling),
        }
    }

    /// Returns the chart as an SVG document.
    pub fn svg(&self) -> Result<String> {
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, self.size).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(style::fail(&self.stem))?;
        }
        Ok(text)
    }

    /// Returns the chart as a PNG file's bytes; stops between the drawing
    /// and its encoding (a third of the time) once `cancel` is set.
    pub fn png(&self, cancel: Option<&AtomicBool>) -> Result<Vec<u8>> {
        let (width, height) = self.size;
        let mut pixels = vec![0u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, self.size).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(style::fail(&self.stem))?;
        }
        folder::check(cancel)?;
        encode_png(&pixels, self.size).map_err(style::fail(&self.stem))
    }

    /// Draws the chart as PNG and as SVG; stops before either drawing once
    /// `cancel` is set.
    pub fn drawn(&self, cancel: Option<&AtomicBool>) -> Result<Drawn> {
        folder::check(cancel)?;
        let png = self.png(cancel)?;
        folder::check(cancel)?;
        let svg = self.svg()?;
        Ok(Drawn {
            stem: self.stem.clone(),
            title: self.title.clone(),
            png,
            svg,
        })
    }
}

/// A chart drawn in both formats, in memory.
#[derive(Clone, Debug)]
pub struct Drawn {
    /// File name without extension (`latency_cdf`).
    pub stem: String,
    /// What the chart shows, for captions.
    pub title: String,
    /// The PNG file's bytes.
    pub png: Vec<u8>,
    /// The SVG document.
    pub svg: String,
}

impl Drawn {
    /// Adds `<stem>.png` and `<stem>.svg` to `files`.
    pub fn add_to(self, files: &mut Files) {
        files.add(format!("{}.png", self.stem), self.png);
        files.add(format!("{}.svg", self.stem), self.svg);
    }
}

/// Encodes 8-bit RGB pixels as a PNG.
///
/// Charts are large flat areas with thin lines, and most rows repeat the row
/// above: one fixed filter (`Up`) and the fast
/// compressor make files a little larger than the best settings would, in a
/// fraction of the time (the default adaptive filter used to cost more than
/// drawing the charts).
fn encode_png(
    pixels: &[u8],
    (width, height): (u32, u32),
) -> std::result::Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        encoder.set_filter(png::FilterType::Up);
        encoder.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(pixels)?;
        writer.finish()?;
    }
    Ok(bytes)
}

/// Returns the charts a comparison has data for, in reading order.
pub fn comparison_plots(data: &Comparison) -> Vec<Plot<'_>> {
    let results = &data.results;
    if results.is_empty() {
        return Vec::new();
    }
    // Whether the load was served comes first; how fast, then how it varied.
    let mut plots = vec![Plot::of(
        Kind::ThroughputAvailability(data),
        throughput_availability::STEM,
        throughput_availability::TITLE,
        style::WIDE,
    )];
    if results.iter().any(|r| r.value("latency_ms.p50") > 0.0) {
        plots.push(Plot::of(
            Kind::LatencyPercentiles(data),
            latency_percentiles::STEM,
            latency_percentiles::TITLE,
            style::WIDE,
        ));
    }
    if results.iter().any(|r| !r.cdf.is_empty()) {
        plots.push(Plot::of(
            Kind::LatencyCdf(data),
            latency_cdf::STEM,
            latency_cdf::TITLE,
            style::WIDE,
        ));
    }
    if results.iter().any(|r| !r.series.points.is_empty()) {
        plots.push(Plot::of(
            Kind::TimeSeries(data),
            time_series::STEM,
            time_series::TITLE,
            time_series::SIZE,
        ));
    }
    let gauge_keys = gauges::keys(data).len();
    if gauge_keys > 0 {
        plots.push(Plot::of(
            Kind::Gauges(data),
            gauges::STEM,
            gauges::TITLE,
            gauges::size(gauge_keys),
        ));
    }
    if results
        .iter()
        .any(|r| r.value("cost_per_hour").is_finite() && r.value("latency_ms.p99") > 0.0)
    {
        plots.push(Plot::of(
            Kind::CostVsP99(data),
            cost_vs_p99::STEM,
            cost_vs_p99::TITLE,
            style::WIDE,
        ));
    }
    if !utilization::components(data).is_empty() {
        plots.push(Plot::of(
            Kind::Utilization(data),
            utilization::STEM,
            utilization::TITLE,
            style::WIDE,
        ));
    }
    plots
}

/// Returns one chart per metric of a sweep.
pub fn sweep_plots(data: &SweepData) -> Vec<Plot<'_>> {
    if data.points.is_empty() || data.parameters.is_empty() {
        return Vec::new();
    }
    data.metrics
        .iter()
        .map(|metric| Plot {
            stem: sweep::stem(metric),
            title: sweep::title(data, metric),
            size: style::WIDE,
            kind: Kind::Sweep(data, metric),
        })
        .collect()
}

/// Draws every chart of a comparison.
pub fn comparison(data: &Comparison, cancel: Option<&AtomicBool>) -> Result<Vec<Drawn>> {
    draw_all(&comparison_plots(data), cancel)
}

/// Draws the curves of a sweep.
pub fn sweep(data: &SweepData, cancel: Option<&AtomicBool>) -> Result<Vec<Drawn>> {
    draw_all(&sweep_plots(data), cancel)
}

/// Draws the frontier of a plan, when some setup ran (`ceiling`: the
/// charted objective is an upper limit).
pub fn plan(data: &PlanData, ceiling: bool, cancel: Option<&AtomicBool>) -> Result<Vec<Drawn>> {
    if data.setups.iter().all(|s| s.result.is_none()) {
        return Ok(Vec::new());
    }
    let plot = Plot::of(
        Kind::Plan(data, ceiling),
        plan::STEM,
        &plan::title(data),
        style::WIDE,
    );
    draw_all(&[plot], cancel)
}

/// Draws each plot as PNG and SVG, in order; stops between drawings once
/// `cancel` is set ([`Error::Interrupted`](crate::Error::Interrupted)).
pub fn draw_all(plots: &[Plot<'_>], cancel: Option<&AtomicBool>) -> Result<Vec<Drawn>> {
    // Charts are independent: drawing them on every core shortens a run's tail.
    plots.par_iter().map(|plot| plot.drawn(cancel)).collect()
}

#[cfg(test)]
mod tests {
    use super::sample;
    use super::*;

    #[test]
    fn every_chart_of_the_samples_is_drawn_in_both_formats() {
        let drawn = comparison(&sample::comparison(), None).unwrap();
        assert_eq!(drawn.len(), 7);
        let mut files = Files::new();
        for chart in sweep(&sample::sweep(), None).unwrap() {
            chart.add_to(&mut files);
        }
        let names: Vec<&str> = files.names().collect();
        assert_eq!(
            names,
            [
                "sweep_latency_ms_p99.png",
                "sweep_latency_ms_p99.svg",
                "sweep_availability.png",
                "sweep_availability.svg"
            ]
        );
    }

    #[test]
    fn drawing_stops_once_cancelled() {
        let cancel = AtomicBool::new(true);
        let result = comparison(&sample::comparison(), Some(&cancel));
        assert!(matches!(result, Err(crate::Error::Interrupted)));
    }

    #[test]
    fn every_chart_draws_a_real_png_and_svg() {
        // One check over every chart the samples have data for, so that a new
        // chart is checked as soon as it is drawn.
        let (comparison, sweep) = (sample::comparison(), sample::sweep());
        let plots: Vec<_> = comparison_plots(&comparison)
            .into_iter()
            .chain(sweep_plots(&sweep))
            .collect();
        let stems: Vec<&str> = plots.iter().map(|p| p.stem.as_str()).collect();
        assert_eq!(
            stems,
            [
                "throughput_availability",
                "latency_percentiles",
                "latency_cdf",
                "time_series",
                "gauges",
                "cost_vs_p99",
                "utilization",
                "sweep_latency_ms_p99",
                "sweep_availability"
            ]
        );
        plots.par_iter().for_each(sample::check_plot);
    }

    #[test]
    fn results_with_nothing_answered_still_draw() {
        // A scenario that refused everything: no latency, no series, no components.
        let dead = sample::result(
            "Dead",
            &[
                ("requests.offered", 100.0, None),
                ("requests.rejected", 100.0, None),
                ("throughput_rps", 0.0, None),
                ("availability", 0.0, None),
                ("latency_ms.p50", f64::NAN, None),
                ("latency_ms.p99", f64::NAN, None),
                ("cost_per_hour", 0.0, None),
            ],
        );
        let data = Comparison {
            title: "Nothing".into(),
            results: vec![dead],
            abouts: Vec::new(),
            common_random_numbers: false,
            same_arrivals: false,
            theory: Vec::new(),
            differences: Vec::new(),
            focus: Vec::new(),
        };
        let plots = comparison_plots(&data);
        assert_eq!(plots.len(), 1, "only throughput and availability have data");
        assert_eq!(comparison(&data, None).unwrap().len(), 1);
        let empty = Comparison {
            results: Vec::new(),
            ..data
        };
        assert!(comparison(&empty, None).unwrap().is_empty());
    }

    #[test]
    fn a_sweep_of_one_point_draws() {
        let mut data = sample::sweep();
        data.points.truncate(1);
        data.points[0].values = vec![None, None];
        assert_eq!(sweep(&data, None).unwrap().len(), 2);
    }
}
