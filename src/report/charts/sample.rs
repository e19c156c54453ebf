//! Hand-made results for the tests of the charts, the page and the reading.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::metrics::ci::Interval;
use crate::metrics::{
    CdfPoint, Figure, GaugeSeries, Marker, ScenarioResult, SeriesPoint, TimeSeries,
};
use crate::report::charts::place::Rect;
use crate::report::charts::{style, Plot};
use crate::report::data::{Comparison, PlanData, PlanSetup, SweepData, SweepPoint};

/// Returns a result with the figures given as (path, value, CI half-width).
pub fn result(name: &str, figures: &[(&str, f64, Option<f64>)]) -> ScenarioResult {
    let figures = figures
        .iter()
        .map(|&(path, value, hw)| Figure {
            measure: crate::parts::kinds::measure_of(
                &path.split('.').map(str::to_string).collect::<Vec<_>>(),
            ),
            path: path.split('.').map(str::to_string).collect(),
            value,
            ci: hw.map(|half_width| Interval {
                mean: value,
                half_width,
            }),
            total: path.starts_with("requests.") || path.ends_with(".completed"),
        })
        .collect();
    ScenarioResult {
        scenario: name.to_string(),
        seed: 42,
        replications: 1,
        figures,
        cdf: Vec::new(),
        series: TimeSeries::default(),
        truncated: Vec::new(),
        slowest: Vec::new(),
        index: Default::default(),
    }
}

/// Returns a latency distribution with median `p50` and a tail `tail` times longer.
fn cdf(p50: f64, tail: f64) -> Vec<CdfPoint> {
    [0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0]
        .iter()
        .map(|&q: &f64| CdfPoint {
            latency_ms: p50 * (1.0 - q).max(1e-4).ln() / 0.5f64.ln() * tail.powf(q * q),
            quantile: q,
        })
        .collect()
}

/// Returns a 60-window series at `rate` with a dip in throughput after 30 s.
fn series(rate: f64, p99: f64, dip: f64) -> TimeSeries {
    TimeSeries {
        window_s: 1.0,
        points: (0..60)
            .map(|i| {
                let t = f64::from(i);
                let lost = if (30.0..40.0).contains(&t) { dip } else { 0.0 };
                SeriesPoint {
                    start_s: t,
                    offered_rps: rate + 20.0 * (t * 0.7).sin(),
                    throughput_rps: rate * (1.0 - lost),
                    errors_rps: rate * lost,
                    p99_ms: if i == 5 {
                        0.0
                    } else {
                        p99 * (1.0 + lost * 10.0)
                    },
                }
            })
            .collect(),
        markers: vec![
            Marker {
                at_s: 10.0,
                label: "end of warm-up".into(),
            },
            Marker {
                at_s: 30.0,
                label: "web[0] crashes".into(),
            },
            Marker {
                at_s: 32.0,
                label: "rate 2000/s".into(),
            },
        ],
        gauges: vec![GaugeSeries {
            component: "orders".into(),
            key: "backlog",
            label: "queue backlog",
            unit: "messages",
            // The backlog builds up during the dip and drains after it.
            values: (0..60)
                .map(|i| {
                    let t = f64::from(i);
                    if (30.0..40.0).contains(&t) {
                        dip * rate * (t - 29.0)
                    } else if t >= 40.0 {
                        (dip * rate * 11.0 - 50.0 * (t - 40.0)).max(0.0)
                    } else {
                        2.0 + (t * 0.9).sin()
                    }
                })
                .collect(),
        }],
    }
}

/// Returns a comparison of three scenarios, like the showcase.
pub fn comparison() -> Comparison {
    let mut big = result(
        "One big server",
        &[
            ("requests.offered", 160_000.0, None),
            ("requests.completed", 156_320.0, None),
            ("requests.rejected", 3_680.0, None),
            ("requests.timed_out", 0.0, None),
            ("requests.failed", 0.0, None),
            ("throughput_rps", 1563.2, None),
            ("availability", 0.977, None),
            ("latency_ms.mean", 4.1, None),
            ("latency_ms.p50", 3.2, None),
            ("latency_ms.p90", 8.0, None),
            ("latency_ms.p99", 31.0, None),
            ("latency_ms.p999", 64.0, None),
            ("latency_ms.max", 90.0, None),
            ("cost_per_hour", 0.45, None),
            ("cost_per_million", 0.08, None),
            ("components.box.utilization", 0.97, None),
            ("components.box.mean_queue", 12.0, None),
        ],
    );
    big.cdf = cdf(3.2, 4.0);
    big.series = series(1600.0, 31.0, 0.3);
    let mut clones = result(
        "Four clones, round robin",
        &[
            ("requests.offered", 160_000.0, None),
            ("requests.completed", 160_000.0, None),
            ("requests.rejected", 0.0, None),
            ("requests.timed_out", 0.0, None),
            ("requests.failed", 0.0, None),
            ("throughput_rps", 1600.0, Some(4.0)),
            ("availability", 1.0, Some(0.0)),
            ("latency_ms.mean", 5.0, Some(0.1)),
            ("latency_ms.p50", 4.1, Some(0.1)),
            ("latency_ms.p90", 9.5, Some(0.3)),
            ("latency_ms.p99", 10.0, Some(0.8)),
            ("latency_ms.p999", 21.0, Some(2.5)),
            ("latency_ms.max", 40.0, Some(5.0)),
            ("cost_per_hour", 0.62, None),
            ("cost_per_million", 0.11, None),
            ("components.lb.utilization", 0.0, Some(0.0)),
            ("components.web.utilization", 0.78, Some(0.01)),
            ("components.web.mean_queue", 1.2, Some(0.1)),
        ],
    );
    clones.replications = 5;
    clones.cdf = cdf(4.1, 2.0);
    clones.series = series(1600.0, 10.0, 0.0);
    let mut least = result(
        "Four clones, least connections",
        &[
            ("requests.offered", 160_000.0, None),
            ("requests.completed", 159_900.0, None),
            ("requests.rejected", 0.0, None),
            ("requests.timed_out", 100.0, None),
            ("requests.failed", 0.0, None),
            ("throughput_rps", 1599.0, None),
            ("availability", 0.999375, None),
            ("latency_ms.mean", 4.6, None),
            ("latency_ms.p50", 4.0, None),
            ("latency_ms.p90", 7.5, None),
            ("latency_ms.p99", 9.0, None),
            ("latency_ms.p999", 15.0, None),
            ("latency_ms.max", 30.0, None),
            ("cost_per_hour", 0.62, None),
            ("cost_per_million", 0.11, None),
            ("components.lb.utilization", 0.0, None),
            ("components.web.utilization", 0.78, None),
        ],
    );
    least.cdf = cdf(4.0, 1.8);
    least.series = series(1600.0, 9.0, 0.01);
    Comparison {
        title: "Vertical vs horizontal".into(),
        abouts: vec![
            "A single 8-core machine.".into(),
            "Four 2-core servers behind a round-robin balancer.".into(),
            "The same, balanced by least connections <and> \"friends\".".into(),
        ],
        results: vec![big, clones, least],
        common_random_numbers: true,
        same_arrivals: true,
        theory: Vec::new(),
        differences: Vec::new(),
        focus: Vec::new(),
    }
}

/// Returns a comparison of four ways to keep sessions: long names that
/// share their first word, web tiers whose busiest machine is as busy as
/// their mean or a little busier, and a store in two of them.
pub fn sessions() -> Comparison {
    let names = [
        ("Sessions, local to each clone", 0.20, 0.20, 1.0),
        ("Sessions, sticky to a clone", 0.16, 0.20, 0.9992),
        ("Sessions, in a shared store", 0.25, 0.25, 0.889),
        ("Sessions, in a replicated store", 0.14, 0.15, 0.9977),
    ];
    let results = names
        .iter()
        .enumerate()
        .map(|(i, &(name, mean, busiest, availability))| {
            let mut figures = vec![
                ("requests.offered", 60_000.0, None),
                ("throughput_rps", 200.0 * availability, Some(1.0)),
                ("availability", availability, Some(0.0004)),
                ("latency_ms.p50", 12.0, None),
                ("components.web.utilization", mean, Some(0.003)),
                ("components.web.busiest_utilization", busiest, None),
            ];
            if i >= 2 {
                figures.push(("components.sessions.utilization", 0.01, Some(0.001)));
                figures.push(("components.sessions.busiest_utilization", 0.01, None));
            }
            result(name, &figures)
        })
        .collect();
    Comparison {
        title: "Sessions".into(),
        abouts: Vec::new(),
        results,
        common_random_numbers: true,
        same_arrivals: true,
        differences: Vec::new(),
        focus: Vec::new(),
        theory: Vec::new(),
    }
}

/// Returns a closed loop of 200 users thinking 2 s, whose mean latency
/// (465 ms) is 18 ms under the response time law's N / X − Z (483 ms).
pub fn closed_loop() -> ScenarioResult {
    result(
        "Closed",
        &[
            ("closed.users", 200.0, None),
            ("closed.think_ms", 2000.0, None),
            ("closed.law_latency_ms", 483.0, None),
            ("closed.law_gap_ms", -18.0, None),
            ("throughput_rps", 80.5, None),
            ("latency_ms.mean", 465.0, None),
        ],
    )
}

/// Returns the SVG of the chart `stem` of a comparison.
pub fn comparison_svg(data: &Comparison, stem: &str) -> String {
    crate::report::charts::comparison_plots(data)
        .iter()
        .find(|p| p.stem == stem)
        .unwrap_or_else(|| panic!("no chart {stem}"))
        .svg()
        .unwrap()
}

/// Returns a sweep of arrival rate by balancer strategy, with theory for p99.
pub fn sweep() -> SweepData {
    let mut points = Vec::new();
    for rate in [400.0, 800.0, 1200.0, 1500.0] {
        for (k, strategy) in ["round_robin", "least_connections"].iter().enumerate() {
            let rho: f64 = rate / 1600.0;
            let p99 = 3.0 / (1.0 - rho) * if k == 0 { 1.3 } else { 1.0 };
            let availability = if rate > 1400.0 { 0.995 } else { 1.0 };
            let r = result(
                "Clones",
                &[
                    ("latency_ms.p99", p99, Some(p99 * 0.05)),
                    ("availability", availability, Some(0.0005)),
                    ("throughput_rps", rate * availability, Some(3.0)),
                ],
            );
            points.push(SweepPoint {
                labels: vec![format!("{rate}"), strategy.to_string()],
                values: vec![Some(rate), None],
                result: r,
                theory: vec![("latency_ms.p99".into(), 3.0 / (1.0 - rho) * 1.1)],
            });
        }
    }
    SweepData {
        scenario: "Clones".into(),
        parameters: vec!["traffic.rate".into(), "components.lb.strategy".into()],
        metrics: vec!["latency_ms.p99".into(), "availability".into()],
        points,
    }
}

/// Returns a plan of cores and speed against a p99 objective of 30 ms: a
/// cheap setup that misses, the winner as the dearest that ran (so at the
/// right edge), and one dearer that did not run.
pub fn plan() -> PlanData {
    let setup = |labels: [&str; 2], cost: f64, p99: Option<(f64, f64)>, best: bool| {
        let result = p99.map(|(p99, hw)| {
            result(
                "Web",
                &[
                    ("latency_ms.p99", p99, Some(hw)),
                    ("availability", 1.0, Some(0.0)),
                    ("cost_per_hour", cost, None),
                ],
            )
        });
        let feasible = p99.is_some_and(|(p99, hw)| p99 + hw < 30.0);
        PlanSetup {
            labels: labels.iter().map(|l| l.to_string()).collect(),
            status: if feasible { "feasible" } else { "misses" }.into(),
            reason: String::new(),
            feasible,
            best,
            minimised: cost,
            result,
        }
    };
    PlanData {
        scenario: "Web".into(),
        parameters: vec!["components.web.cores".into(), "components.web.speed".into()],
        objectives: vec!["p99<30ms".into()],
        minimised: "cost_per_hour".into(),
        charted: ("latency_ms.p99".into(), 30.0),
        sentences: Vec::new(),
        setups: vec![
            setup(["1", "2.0"], 0.19, Some((90.0, 16.0)), false),
            setup(["2", "2.0"], 0.40, Some((25.0, 0.5)), true),
            setup(["3", "2.0"], 0.60, None, false),
        ],
    }
}

/// Draws `plot` and checks that the PNG is a real, non-blank image and the
/// SVG has text.
pub fn check_plot(plot: &Plot<'_>) {
    let stem = &plot.stem;
    let drawn = plot.drawn(None).unwrap();
    let png = &drawn.png;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}: not a PNG");
    let (inked, colours) = ink(png);
    assert!(
        inked > 0.01,
        "{stem}: only {inked:.3} of the image is drawn"
    );
    assert!(colours >= 6, "{stem}: only {colours} colours");
    let svg = &drawn.svg;
    assert!(svg.contains("<svg"), "{stem}: no <svg");
    assert!(svg.contains("<text"), "{stem}: no text");
}

/// Returns the share of pixels that are not near-white, and the number of
/// distinct colours among them (coarsely binned).
pub fn ink(png: &[u8]) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let samples = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let mut inked = 0usize;
    let mut total = 0usize;
    let mut colours = std::collections::BTreeSet::new();
    for px in pixels.chunks_exact(samples) {
        total += 1;
        let (r, g, b) = (px[0], px[1], px[2.min(samples - 1)]);
        if r < 235 || g < 235 || b < 235 {
            inked += 1;
            colours.insert((r / 32, g / 32, b / 32));
        }
    }
    (inked as f64 / total.max(1) as f64, colours.len())
}

/// A text of an SVG chart and the box it covers \[px\].
#[derive(Clone, Debug)]
pub struct TextBox {
    /// What it says.
    pub text: String,
    /// Where it is drawn.
    pub rect: Rect,
}

/// Returns the texts of an SVG chart drawn upright, with their boxes as
/// the embedded font measures them.
pub fn text_boxes(svg: &str) -> Vec<TextBox> {
    style::fonts().unwrap();
    let attr = |attrs: &str, name: &str| -> Option<String> {
        let start = attrs.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(attrs[start..].split('"').next()?.to_string())
    };
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let (attrs, rest) = t.split_once('>')?;
            let text = rest.split("</text>").next()?.trim().to_string();
            if attrs.contains("transform") || text.is_empty() {
                return None;
            }
            let num = |name: &str| attr(attrs, name)?.parse::<f64>().ok();
            let (x, y) = (num("x")? as i32, num("y")? as i32);
            // The backend writes the style's size divided by 1.24.
            let size = num("font-size")? * 1.24;
            let (w, h) = style::text(size).font.box_size(&text).ok()?;
            let (w, h) = (w as i32, h as i32);
            let left = match attr(attrs, "text-anchor").as_deref() {
                Some("middle") => x - w / 2,
                Some("end") => x - w,
                _ => x,
            };
            let top = match attr(attrs, "dy").as_deref() {
                Some("0.76em") => y,
                Some("0.5ex") => y - h / 2,
                _ => y - h,
            };
            Some(TextBox {
                text,
                rect: Rect::at((left, top), (w, h)),
            })
        })
        .collect()
}

/// Returns the texts of a chart's SVG, in the order drawn, after asserting
/// that none prints over another.
pub fn legible_texts(svg: &str) -> Vec<String> {
    assert_eq!(overprinted(svg), Vec::<(String, String)>::new());
    text_boxes(svg).into_iter().map(|t| t.text).collect()
}

/// Returns the pairs of texts of an SVG chart that print over each other
/// (by more than a pixel's rounding).
pub fn overprinted(svg: &str) -> Vec<(String, String)> {
    let boxes = text_boxes(svg);
    let mut pairs = Vec::new();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            if a.rect.grown(-1).overlap(&b.rect.grown(-1)) > 0 {
                pairs.push((a.text.clone(), b.text.clone()));
            }
        }
    }
    pairs
}
