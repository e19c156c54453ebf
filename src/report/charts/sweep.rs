//! One metric of a sweep against the first varied parameter.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{self, Axis};
use super::style::{self, Entry, Mark};
use crate::error::Result;
use crate::report::data::{SweepData, SweepPoint};
use crate::report::format;

/// Returns the file stem of the chart of `metric` (`sweep_latency_ms_p99`).
pub fn stem(metric: &str) -> String {
    format!("sweep_{}", metric.replace('.', "_"))
}

/// Returns the title of the chart of `metric`: the swept scenario (without
/// the list of its changes, which the report gives) and what varies, saying
/// how the other parameters are drawn: as lines along numbers, by colour over
/// categories (where only dots are drawn).
pub fn title(data: &SweepData, metric: &str) -> String {
    let names = short_names(&data.parameters);
    let x = names.first().map_or("", String::as_str);
    let scenario = data.scenario.split(" [").next().unwrap_or(&data.scenario);
    let drawn = match Positions::of(data) {
        Positions::Numeric => "as lines",
        Positions::Categories(_) => "by colour",
    };
    let others = if names.len() > 1 {
        format!(" ({} {drawn})", names[1..].join(", "))
    } else {
        String::new()
    };
    format!(
        "{scenario}: {} against {x}{others}",
        format::metric(metric).name
    )
}

/// Returns short names of the parameters (`replicas` for
/// `components.web.replicas`), keeping whole paths where short ones would clash.
pub fn short_names(parameters: &[String]) -> Vec<String> {
    let last = |p: &String| p.rsplit('.').next().unwrap_or(p).to_string();
    let shorts: Vec<String> = parameters.iter().map(last).collect();
    parameters
        .iter()
        .zip(&shorts)
        .map(|(full, short)| {
            if shorts.iter().filter(|s| *s == short).count() > 1 {
                full.clone()
            } else {
                short.clone()
            }
        })
        .collect()
}

/// One line of a sweep chart: the points sharing the values of every
/// parameter but the first.
#[derive(Clone, Debug)]
pub struct Line<'a> {
    /// The other parameters' values (`replicas=4, strategy=random`); empty
    /// when only one parameter varies.
    pub label: String,
    /// Its points, in the order of the first parameter as given.
    pub points: Vec<&'a SweepPoint>,
}

/// Groups the points of a sweep into lines.
pub fn lines(data: &SweepData) -> Vec<Line<'_>> {
    let names = short_names(&data.parameters);
    let mut out: Vec<(Vec<String>, Line<'_>)> = Vec::new();
    for p in &data.points {
        let key: Vec<String> = p.labels.iter().skip(1).cloned().collect();
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, line)) => line.points.push(p),
            None => {
                let label = names
                    .iter()
                    .skip(1)
                    .zip(&key)
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push((
                    key,
                    Line {
                        label,
                        points: vec![p],
                    },
                ));
            }
        }
    }
    out.into_iter().map(|(_, line)| line).collect()
}

/// Where the points sit along the first parameter.
#[derive(Clone, Debug)]
pub enum Positions {
    /// Every value is a number: the axis is numeric.
    Numeric,
    /// Some value is not a number: one slot per distinct label, in order.
    Categories(Vec<String>),
}

impl Positions {
    /// Returns how the first parameter of `data` is laid out.
    pub fn of(data: &SweepData) -> Self {
        let numeric = data.points.iter().all(|p| {
            p.values
                .first()
                .copied()
                .flatten()
                .is_some_and(f64::is_finite)
        });
        if numeric {
            return Positions::Numeric;
        }
        let mut labels: Vec<String> = Vec::new();
        for p in &data.points {
            if let Some(l) = p.labels.first() {
                if !labels.contains(l) {
                    labels.push(l.clone());
                }
            }
        }
        Positions::Categories(labels)
    }

    /// Returns the position of a point along the x axis.
    pub fn x(&self, p: &SweepPoint) -> f64 {
        match self {
            Positions::Numeric => p.values.first().copied().flatten().unwrap_or(f64::NAN),
            Positions::Categories(labels) => p
                .labels
                .first()
                .and_then(|l| labels.iter().position(|c| c == l))
                .map_or(f64::NAN, |i| i as f64),
        }
    }
}

/// Returns the theory's value of `metric` at a point, if there is one.
pub fn theory(p: &SweepPoint, metric: &str) -> Option<f64> {
    p.theory
        .iter()
        .find(|(m, _)| m == metric)
        .map(|(_, v)| *v)
        .filter(|v| v.is_finite())
}

/// Returns the x axis for the first parameter.
fn x_axis(data: &SweepData, positions: &Positions) -> Axis {
    match positions {
        Positions::Categories(labels) => Axis {
            ticks: (0..labels.len()).map(|i| i as f64).collect(),
            ..Axis::linear(-0.5, labels.len() as f64 - 0.5)
        },
        Positions::Numeric => {
            let mut xs: Vec<f64> = data.points.iter().map(|p| positions.x(p)).collect();
            xs.sort_by(f64::total_cmp);
            xs.dedup();
            let (lo, hi) = (
                xs.first().copied().unwrap_or(0.0),
                xs.last().copied().unwrap_or(1.0),
            );
            if lo > 0.0 && hi / lo >= 50.0 {
                return Axis::log(lo / 1.3, hi * 1.3);
            }
            let pad = if hi > lo { (hi - lo) * 0.06 } else { 1.0 };
            let mut axis = Axis::linear(lo - pad, hi + pad);
            // Ticks at the swept values read best, unless they crowd together.
            let crowded = xs
                .windows(2)
                .any(|w| w[1] - w[0] < (hi - lo).max(f64::MIN_POSITIVE) / 20.0);
            if xs.len() <= 12 && !crowded {
                axis.ticks = xs;
            }
            axis
        }
    }
}

/// Draws `metric` against the first parameter: one line per combination of the
/// other parameters, a pale band for the 95% confidence interval where there
/// are replications, and the analytic curve dashed where theory has one.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &SweepData,
    metric: &str,
) -> Result<()> {
    let what = stem(metric);
    let fail = style::fail(&what);
    let shown = format::metric(metric);
    let scale = shown.scale;
    // No figure swept here goes below zero, nor a share above 100%, though
    // the arithmetic of an interval can.
    let bound = |v: f64| {
        if shown.unit == "%" {
            v.clamp(0.0, 100.0)
        } else {
            v.max(0.0)
        }
    };
    let lines = lines(data);
    let positions = Positions::of(data);
    // Categories (strategies, modes) have no order between them: their points
    // get whiskers side by side, never a line or a band across them.
    let categorical = matches!(positions, Positions::Categories(_));
    let has_ci = data
        .points
        .iter()
        .any(|p| p.result.figure(metric).and_then(|f| f.ci).is_some());
    let has_theory = data.points.iter().any(|p| theory(p, metric).is_some());

    // Over categories each combination is a dot, so its key is a swatch.
    let mark = if categorical {
        Mark::Swatch
    } else {
        Mark::Line
    };
    let mut legend: Vec<Entry> = if lines.len() > 1 {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| Entry::new(&l.label, style::colour(i), mark))
            .collect()
    } else {
        vec![Entry::new("simulation", style::colour(0), mark)]
    };
    if has_ci && !categorical {
        legend.push(Entry::new("95% confidence band", style::GREY, Mark::Band));
    }
    if has_theory {
        legend.push(Entry::new("theory", style::INK, Mark::Dashed));
    }
    let area = style::frame(root, &what, &title(data, metric), &legend)?;

    let mut values = Vec::new();
    for p in &data.points {
        if let Some(f) = p.result.figure(metric) {
            values.push(f.value * scale);
            if let Some(ci) = f.ci {
                values.extend([bound(ci.low() * scale), bound(ci.high() * scale)]);
            }
        }
        if let Some(t) = theory(p, metric) {
            values.push(t * scale);
        }
    }
    let x = x_axis(data, &positions);
    let y = Axis::zoomed(&values);

    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .margin_right(60)
        .x_label_area_size(90)
        .y_label_area_size(140)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(&fail)?;
    let x_label = |v: &f64| match &positions {
        Positions::Numeric => x.label(*v),
        Positions::Categories(labels) => labels
            .get(v.round().max(0.0) as usize)
            .cloned()
            .unwrap_or_default(),
    };
    let y_label = |v: &f64| y.label(*v);
    let log = |axis: &Axis, text: String| {
        if axis.scale == axes::Scale::Log {
            format!("{text}, log scale")
        } else {
            text
        }
    };
    style::house_mesh(&mut chart.configure_mesh())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(log(
            &x,
            data.parameters.first().cloned().unwrap_or_default(),
        ))
        .y_desc(log(&y, shown.axis()))
        .draw()
        .map_err(&fail)?;

    for (i, line) in lines.iter().enumerate() {
        let colour = style::colour(i);
        // Side by side in a category's slot, one line after the other.
        let offset = if categorical && lines.len() > 1 {
            (i as f64 - (lines.len() - 1) as f64 / 2.0) * (0.6 / lines.len() as f64)
        } else {
            0.0
        };
        let mut points: Vec<(f64, &SweepPoint)> = line
            .points
            .iter()
            .map(|p| (x.at(positions.x(p)) + offset, *p))
            .filter(|(px, _)| px.is_finite())
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if categorical {
            draw_categories(
                &mut chart, &what, &points, metric, colour, &y, scale, &bound,
            )?;
            continue;
        }

        let band: Vec<(f64, f64, f64)> = points
            .iter()
            .filter_map(|(px, p)| {
                let ci = p.result.figure(metric)?.ci?;
                Some((
                    *px,
                    y.clamped(bound(ci.low() * scale)),
                    y.clamped(bound(ci.high() * scale)),
                ))
            })
            .collect();
        if band.len() > 1 {
            let outline: Vec<(f64, f64)> = band
                .iter()
                .map(|(px, _, hi)| (*px, *hi))
                .chain(band.iter().rev().map(|(px, lo, _)| (*px, *lo)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    colour.mix(0.2).filled(),
                )))
                .map_err(&fail)?;
        } else if let Some((px, lo, hi)) = band.first() {
            style::error_bar(&mut chart, &what, *px, (*lo, *hi), colour, 20)?;
        }

        let theory_points: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|(px, p)| Some((*px, y.at(theory(p, metric)? * scale))))
            .filter(|(_, py)| py.is_finite())
            .collect();
        if theory_points.len() > 1 {
            let ink = if lines.len() > 1 { colour } else { style::INK };
            chart
                .draw_series(DashedLineSeries::new(
                    theory_points,
                    14,
                    10,
                    ink.stroke_width(3),
                ))
                .map_err(&fail)?;
        } else if let Some(&(px, py)) = theory_points.first() {
            chart
                .draw_series(std::iter::once(Cross::new(
                    (px, py),
                    12,
                    style::INK.stroke_width(3),
                )))
                .map_err(&fail)?;
        }

        let radius = 5 + style::line_width(i, lines.len(), 3);
        let measured: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|(px, p)| {
                let v = y.at(p.result.figure(metric)?.value * scale);
                v.is_finite().then_some((*px, v))
            })
            .collect();
        chart
            .draw_series(LineSeries::new(
                measured.iter().copied(),
                colour.stroke_width(style::line_width(i, lines.len(), 3)),
            ))
            .map_err(&fail)?;
        chart
            .draw_series(
                measured
                    .iter()
                    .map(|&(px, py)| Circle::new((px, py), radius, colour.filled())),
            )
            .map_err(&fail)?;
    }
    Ok(())
}

/// Draws the points of one line over categories: each with the whisker of
/// its 95% interval and, where theory has one, a cross at its value.
#[allow(clippy::too_many_arguments)]
fn draw_categories<DB: DrawingBackend>(
    chart: &mut axes::Chart<'_, DB>,
    what: &str,
    points: &[(f64, &SweepPoint)],
    metric: &str,
    colour: RGBColor,
    y: &Axis,
    scale: f64,
    bound: &dyn Fn(f64) -> f64,
) -> Result<()> {
    let fail = style::fail(what);
    for (px, p) in points {
        let Some(f) = p.result.figure(metric) else {
            continue;
        };
        if let Some(ci) = f.ci.filter(|ci| ci.half_width > 0.0) {
            let (lo, hi) = (
                y.clamped(bound(ci.low() * scale)),
                y.clamped(bound(ci.high() * scale)),
            );
            style::error_bar(chart, what, *px, (lo, hi), colour, 20)?;
        }
        if let Some(t) = theory(p, metric) {
            chart
                .draw_series(std::iter::once(Cross::new(
                    (*px, y.at(t * scale)),
                    12,
                    style::INK.stroke_width(3),
                )))
                .map_err(&fail)?;
        }
        let v = y.at(f.value * scale);
        if v.is_finite() {
            chart
                .draw_series(std::iter::once(Circle::new((*px, v), 10, colour.filled())))
                .map_err(&fail)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn groups_by_the_other_parameters() {
        let data = sample::sweep();
        let lines = lines(&data);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].label, "strategy=round_robin");
        assert_eq!(lines[0].points.len(), 4);
    }

    #[test]
    fn short_names_stay_unique() {
        let params = vec![
            "components.web.replicas".to_string(),
            "components.db.replicas".to_string(),
            "traffic.rate".to_string(),
        ];
        assert_eq!(
            short_names(&params),
            vec!["components.web.replicas", "components.db.replicas", "rate"]
        );
    }

    #[test]
    fn a_sweep_over_categories_draws_whiskers_not_lines() {
        // The sample's parameters swapped: the strategy first, across.
        let mut data = sample::sweep();
        data.parameters.reverse();
        for p in &mut data.points {
            p.labels.reverse();
            p.values.reverse();
        }
        let plots = crate::report::charts::sweep_plots(&data);
        let p99 = plots
            .iter()
            .find(|p| p.stem == "sweep_latency_ms_p99")
            .unwrap();
        // A line through the points is a polyline of more than two points
        // (whiskers, their caps and the legend's marks have two).
        let longest = |svg: &str| {
            svg.split("<polyline")
                .skip(1)
                .map(|rest| {
                    let points = rest.split("points=\"").nth(1).unwrap_or("");
                    points
                        .split('"')
                        .next()
                        .unwrap_or("")
                        .split_whitespace()
                        .count()
                })
                .max()
                .unwrap_or(0)
        };
        // The title says so: the others are told apart by colour, not lines.
        // See: "(replicas, rate as lines)" over a categorical axis.
        assert_eq!(
            p99.title,
            "Clones: p99 latency against strategy (rate by colour)"
        );
        let svg = p99.svg().unwrap();
        assert!(longest(&svg) <= 2, "a line across categories");
        assert!(!svg.contains("<polygon"), "a band across categories");
        assert!(svg.contains("least_connections"));
        // Over numbers, the lines and bands are there.
        let numbers = sample::sweep();
        let numeric = crate::report::charts::sweep_plots(&numbers);
        assert_eq!(
            numeric[0].title,
            "Clones: p99 latency against rate (strategy as lines)"
        );
        let svg = numeric[0].svg().unwrap();
        assert!(longest(&svg) > 2 && svg.contains("<polygon"));
    }

    #[test]
    fn stems_have_no_dots() {
        assert_eq!(stem("latency_ms.p99"), "sweep_latency_ms_p99");
    }
}
