//! The self-contained HTML report: one file with its styles and charts inline,
//! so it opens offline, can be mailed as it is, and needs no script.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::charts::{self, style, sweep::short_names, Plot};
use super::data::{Comparison, SweepData};
use super::reading;
use crate::error::Result;
use crate::metrics::ScenarioResult;

/// The page's styles: large readable type, tables with aligned digits, and
/// charts that scale with the window.
const CSS: &str = "
:root { --ink: #222; --muted: #5f5f5f; --line: #dcdcdc; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink); line-height: 1.5; font-size: 17px;
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 2.1rem; margin: 0 0 4px; }
h2 { font-size: 1.4rem; margin: 44px 0 14px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 28px 0 8px; }
.meta { color: var(--muted); margin: 0; }
.reading { background: #f3f7fa; border-left: 6px solid var(--accent); padding: 14px 22px 14px 40px; margin: 0; }
.reading li { margin: 5px 0; }
dl { margin: 0; }
dt { font-weight: 600; margin-top: 12px; }
dd { margin: 2px 0 0 1.4em; white-space: pre-line; }
.wide { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 0.92rem; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; min-width: 11em; }
th.label, td.label { text-align: left; min-width: 0; }
thead th { background: #f0f0f0; vertical-align: bottom; }
thead tr.group th { background: #fff; text-align: center; color: var(--muted); font-weight: 600; }
tbody tr:nth-child(even) { background: #fafafa; }
.swatch { display: inline-block; width: 0.85em; height: 0.85em; border-radius: 2px; margin-right: 0.45em; }
.note { color: var(--muted); font-size: 0.92rem; }
figure { margin: 26px 0 40px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); margin-top: 8px; }
@media print { figure { break-inside: avoid; } main { max-width: none; } }
";

/// Writes `report.html` for a comparison into `out`; returns its path.
pub fn comparison(out: &Path, data: &Comparison) -> Result<PathBuf> {
    let mut body = String::new();
    let replications = data
        .results
        .iter()
        .map(|r| r.replications)
        .max()
        .unwrap_or(1);
    let _ = writeln!(
        body,
        "<header><h1>{}</h1><p class=\"meta\">{} · {} · scalesim {}</p></header>",
        esc(&data.title),
        plural(data.results.len(), "scenario", "scenarios"),
        plural(
            usize::try_from(replications).unwrap_or(usize::MAX),
            "replication each",
            "replications each"
        ),
        env!("CARGO_PKG_VERSION")
    );
    reading_section(&mut body, &reading::comparison(data));

    body.push_str("<section id=\"scenarios\"><h2>Scenarios</h2><dl>\n");
    for (i, r) in data.results.iter().enumerate() {
        let about = data.abouts.get(i).map_or("", |a| a.trim());
        let _ = writeln!(
            body,
            "<dt>{}{}</dt><dd>{}</dd>",
            swatch(i),
            esc(&r.scenario),
            if about.is_empty() {
                "<span class=\"note\">No description.</span>".to_string()
            } else {
                esc(about)
            }
        );
    }
    body.push_str("</dl></section>\n");

    body.push_str("<section id=\"results\"><h2>Results</h2>\n");
    results_table(&mut body, &data.results);
    components_table(&mut body, &data.results);
    body.push_str("</section>\n");

    charts_section(&mut body, &charts::comparison_plots(data))?;
    write_page(out, &data.title, &body)
}

/// Writes `report.html` for a sweep into `out`; returns its path.
pub fn sweep(out: &Path, data: &SweepData) -> Result<PathBuf> {
    let title = format!("Sweep: {}", data.scenario);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<header><h1>{}</h1><p class=\"meta\">{} over {} · scalesim {}</p></header>",
        esc(&title),
        plural(data.points.len(), "point", "points"),
        esc(&data.parameters.join(" × ")),
        env!("CARGO_PKG_VERSION")
    );
    reading_section(&mut body, &reading::sweep(data));
    body.push_str("<section id=\"grid\"><h2>Grid</h2>\n");
    grid_table(&mut body, data);
    body.push_str("</section>\n");
    charts_section(&mut body, &charts::sweep_plots(data))?;
    write_page(out, &title, &body)
}

/// Wraps `body` in the page and writes it atomically.
fn write_page(out: &Path, title: &str, body: &str) -> Result<PathBuf> {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n\
         </body>\n</html>\n",
        esc(title)
    );
    let path = out.join("report.html");
    super::write_atomic(&path, page.as_bytes())?;
    Ok(path)
}

/// Writes the automatic reading as a list.
fn reading_section(body: &mut String, sentences: &[String]) {
    if sentences.is_empty() {
        return;
    }
    body.push_str("<section id=\"reading\"><h2>Reading</h2><ul class=\"reading\">\n");
    for s in sentences {
        let _ = writeln!(body, "<li>{}</li>", esc(s));
    }
    body.push_str("</ul></section>\n");
}

/// Writes the comparison table: one row per scenario.
fn results_table(body: &mut String, results: &[ScenarioResult]) {
    body.push_str(
        "<div class=\"wide\"><table>\n<thead>\n\
         <tr class=\"group\"><th></th><th colspan=\"3\">Requests</th>\
         <th colspan=\"4\">Latency (ms)</th><th colspan=\"2\">Cost ($)</th></tr>\n\
         <tr><th>Scenario</th><th>offered</th><th>availability (%)</th><th>throughput (/s)</th>\
         <th>mean</th><th>p50</th><th>p99</th><th>p99.9</th>\
         <th>per hour</th><th>per million</th></tr>\n</thead>\n<tbody>\n",
    );
    for (i, r) in results.iter().enumerate() {
        let _ = writeln!(
            body,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            swatch(i),
            esc(&r.scenario),
            r.figure("requests.offered")
                .map_or("-".to_string(), |f| reading::count(f.value)),
            cell(r, "availability", &|v| style::percent(v * 100.0)),
            cell(r, "throughput_rps", &|v| format!("{v:.1}")),
            cell(r, "latency_ms.mean", &style::sig),
            cell(r, "latency_ms.p50", &style::sig),
            cell(r, "latency_ms.p99", &style::sig),
            cell(r, "latency_ms.p999", &style::sig),
            cell(r, "cost_per_hour", &style::money),
            cell(r, "cost_per_million", &style::money),
        );
    }
    body.push_str("</tbody></table></div>\n");
    if results.iter().any(|r| r.replications > 1) {
        body.push_str(
            "<p class=\"note\">± is the half-width of the 95% confidence interval \
             over replications.</p>\n",
        );
    }
}

/// Writes one row per component of each scenario.
fn components_table(body: &mut String, results: &[ScenarioResult]) {
    let mut rows = String::new();
    for (i, r) in results.iter().enumerate() {
        let mut names: Vec<&str> = Vec::new();
        for f in &r.figures {
            if let [head, name, _] = f.path.as_slice() {
                if head == "components" && !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        for name in names {
            let key = |field: &str| format!("components.{name}.{field}");
            let _ = writeln!(
                rows,
                "<tr><td>{}{}</td><td class=\"label\">{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td></tr>",
                swatch(i),
                esc(&r.scenario),
                esc(name),
                cell(r, &key("utilization"), &|v| format!("{:.1}", v * 100.0)),
                cell(r, &key("mean_queue"), &|v| format!("{v:.2}")),
                r.figure(&key("completed"))
                    .map_or("-".to_string(), |f| reading::count(f.value)),
                r.figure(&key("rejected"))
                    .map_or("-".to_string(), |f| reading::count(f.value)),
            );
        }
    }
    if rows.is_empty() {
        return;
    }
    let _ = write!(
        body,
        "<h3>Components</h3>\n<div class=\"wide\"><table>\n<thead><tr><th>Scenario</th>\
         <th class=\"label\">component</th><th>utilisation (%)</th>\
         <th>mean queue</th><th>completed</th><th>rejected</th></tr></thead>\n\
         <tbody>\n{rows}</tbody></table></div>\n"
    );
}

/// Writes the sweep's grid: the parameters and the metrics of each point.
fn grid_table(body: &mut String, data: &SweepData) {
    let names = short_names(&data.parameters);
    let with_theory: Vec<bool> = data
        .metrics
        .iter()
        .map(|m| {
            data.points
                .iter()
                .any(|p| charts::sweep::theory(p, m).is_some())
        })
        .collect();
    body.push_str("<div class=\"wide\"><table>\n<thead><tr>");
    for (name, full) in names.iter().zip(&data.parameters) {
        let _ = write!(
            body,
            "<th class=\"label\" title=\"{}\">{}</th>",
            esc(full),
            esc(name)
        );
    }
    for (m, theory) in data.metrics.iter().zip(&with_theory) {
        let axis = style::metric(m).axis();
        let _ = write!(body, "<th>{}</th>", esc(&axis));
        if *theory {
            let _ = write!(body, "<th>{} theory</th>", esc(&axis));
        }
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for p in &data.points {
        body.push_str("<tr>");
        for label in &p.labels {
            let _ = write!(body, "<td class=\"label\">{}</td>", esc(label));
        }
        for (m, theory) in data.metrics.iter().zip(&with_theory) {
            let shown = style::metric(m);
            let number = |v: f64| {
                if shown.unit == "%" {
                    style::percent(v * shown.scale)
                } else {
                    style::sig(v * shown.scale)
                }
            };
            let _ = write!(body, "<td>{}</td>", cell(&p.result, m, &number));
            if *theory {
                let t = charts::sweep::theory(p, m).map_or("-".to_string(), number);
                let _ = write!(body, "<td>{t}</td>");
            }
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table></div>\n");
    if data.points.iter().any(|p| p.result.replications > 1) {
        body.push_str(
            "<p class=\"note\">± is the half-width of the 95% confidence interval \
             over replications.</p>\n",
        );
    }
}

/// Writes every chart inline as SVG, each with a caption on how to read it.
fn charts_section(body: &mut String, plots: &[Plot<'_>]) -> Result<()> {
    if plots.is_empty() {
        return Ok(());
    }
    body.push_str("<section id=\"charts\"><h2>Charts</h2>\n");
    for plot in plots {
        let svg = plot.svg()?;
        let _ = writeln!(
            body,
            "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
            esc(&plot.stem),
            inline_svg(&svg, &plot.title),
            esc(&caption(&plot.stem))
        );
    }
    body.push_str("</section>\n");
    Ok(())
}

/// Returns how to read the chart with file stem `stem`.
fn caption(stem: &str) -> String {
    let text = match stem {
        "latency_percentiles" => {
            "Each dot is a scenario's latency at one percentile; error bars show 95% \
             confidence intervals. A line that climbs steeply to p99.9 is a long tail."
        }
        "latency_cdf" => {
            "The share of requests answered within each latency. Further left is faster; a \
             line that creeps slowly towards 100% has a long tail."
        }
        "throughput_availability" => {
            "Left: requests answered per second, with the offered load as a black line \
             across each bar. Right: the share of requests answered."
        }
        "time_series" => {
            "Window by window over the run, one line per scenario; dashed lines mark events \
             such as the end of the warm-up, a change of rate or a failure."
        }
        "cost_vs_p99" => {
            "Price per hour against p99 latency. The dashed frontier links the scenarios \
             that no other beats on both; the rest cost more for a worse tail."
        }
        "utilization" => {
            "The share of time each component's cores were busy. A component near 100% is \
             the bottleneck: its queue, and the tail latency, grow fast."
        }
        _ => {
            "The metric against the first varied parameter, one line per combination of the \
             others. A pale band, where drawn, is the 95% confidence interval; a dashed line \
             is the value predicted by queueing theory."
        }
    };
    text.to_string()
}

/// Prepares a plotters SVG document for inlining: the root's fixed size goes, so
/// the chart scales with the page through its view box, and so does its
/// namespace, which HTML does not need.
fn inline_svg(svg: &str, title: &str) -> String {
    let Some(start) = svg.find("<svg") else {
        return svg.to_string();
    };
    let Some(len) = svg[start..].find('>') else {
        return svg.to_string();
    };
    let tag = &svg[start..start + len];
    let view_box = tag
        .split("viewBox=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("0 0 1600 900");
    format!(
        "<svg viewBox=\"{}\" role=\"img\" aria-label=\"{}\">{}",
        esc(view_box),
        esc(title),
        &svg[start + len + 1..]
    )
}

/// Formats a figure as `value` or `value ± half-width` with `show`, or `-`.
fn cell(r: &ScenarioResult, path: &str, show: &dyn Fn(f64) -> String) -> String {
    match r.figure(path) {
        Some(f) if f.value.is_finite() => match f.ci {
            Some(ci) if ci.half_width > 0.0 => {
                let scale = style::metric(path).scale;
                // The half-width is shown at the same scale as the value.
                let half = ci.half_width * scale;
                format!("{} ± {}", show(f.value), style::sig(half))
            }
            _ => show(f.value),
        },
        _ => "-".to_string(),
    }
}

/// Returns a small square in the colour of scenario `i` on the charts.
fn swatch(i: usize) -> String {
    let c = style::colour(i);
    format!(
        "<span class=\"swatch\" style=\"background:#{:02x}{:02x}{:02x}\"></span>",
        c.0, c.1, c.2
    )
}

/// Returns `n` with the singular or plural noun.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::sample;

    #[test]
    fn comparison_page_is_self_contained() {
        let dir = tempfile::tempdir().unwrap();
        let data = sample::comparison();
        let path = comparison(dir.path(), &data).unwrap();
        assert_eq!(path, dir.path().join("report.html"));
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!(
            html.matches("<svg").count(),
            6,
            "one inline chart per figure"
        );
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script"));
        // The about text is escaped, not interpreted.
        assert!(html.contains("least connections &lt;and&gt; &quot;friends&quot;."));
        assert!(html.contains("Four clones, round robin has 3.1× lower p99"));
        assert!(html.contains("10.0 ± 0.80"), "p99 with its half-width");
        assert!(html.contains("160,000"));
    }

    #[test]
    fn sweep_page_has_grid_and_charts() {
        let dir = tempfile::tempdir().unwrap();
        let path = sweep(dir.path(), &sample::sweep()).unwrap();
        let html = std::fs::read_to_string(path).unwrap();
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("<th class=\"label\" title=\"traffic.rate\">rate</th>"));
        assert!(html.contains("p99 latency (ms) theory"));
        assert!(html.contains("Availability drops below 99.9%"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }

    #[test]
    fn empty_and_failed_comparisons_still_write_a_page() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = sample::comparison();
        data.results = vec![sample::result(
            "Dead",
            &[
                ("requests.offered", 10.0, None),
                ("availability", 0.0, None),
            ],
        )];
        let html = std::fs::read_to_string(comparison(dir.path(), &data).unwrap()).unwrap();
        assert!(html.contains("Dead loses 100% of requests."), "{html}");
        data.results.clear();
        let html = std::fs::read_to_string(comparison(dir.path(), &data).unwrap()).unwrap();
        assert!(!html.contains("<svg"));
    }

    #[test]
    fn availability_half_width_is_in_percent() {
        let r = sample::result("A", &[("availability", 0.995, Some(0.001))]);
        assert_eq!(
            cell(&r, "availability", &|v| style::percent(v * 100.0)),
            "99.50 ± 0.100"
        );
    }

    #[test]
    fn inlined_svg_scales_and_drops_the_namespace() {
        let svg = "<svg width=\"10\" height=\"5\" viewBox=\"0 0 10 5\" \
                   xmlns=\"http://www.w3.org/2000/svg\">\n<rect/></svg>";
        assert_eq!(
            inline_svg(svg, "A <b>"),
            "<svg viewBox=\"0 0 10 5\" role=\"img\" aria-label=\"A &lt;b&gt;\">\n<rect/></svg>"
        );
    }
}
