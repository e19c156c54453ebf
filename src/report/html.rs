//! The self-contained HTML report: one file with its styles and charts inline,
//! so it opens offline, can be mailed as it is, and needs no script.
//!
//! The Rust code here decides *what* the page shows, as small view structs of
//! text already formatted; the templates in `templates/` decide *how* it is
//! laid out. The templates escape every value unless it is marked safe, and
//! only the inline charts are.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Output, State, Value};
use serde::Serialize;

use super::charts::{self, style, sweep::short_names, Drawn};
use super::critical::{self, CriticalView};
use super::data::{Comparison, PlanData, SweepData, SweepPoint};
use super::format::{self, Metric};
use super::lessons::{cell as lesson_cell, lessons, number as lesson_number};
use super::little::{self, LittleCheck};
use super::reading;
use super::response_law;
use crate::error::{Error, Result};
use crate::metrics::measure::{COMPONENT, CRITICAL_PATH};
use crate::metrics::{Measure, ScenarioResult};

/// The templates, embedded in the binary: (name, source).
const TEMPLATES: [(&str, &str); 7] = [
    ("page.html", include_str!("templates/page.html")),
    ("sections.html", include_str!("templates/sections.html")),
    ("tables.html", include_str!("templates/tables.html")),
    ("critical.html", include_str!("templates/critical.html")),
    ("comparison.html", include_str!("templates/comparison.html")),
    ("sweep.html", include_str!("templates/sweep.html")),
    ("plan.html", include_str!("templates/plan.html")),
];

/// What the report of a comparison shows.
#[derive(Serialize)]
struct ComparisonPage {
    title: String,
    version: &'static str,
    /// `2 scenarios`.
    scenario_count: String,
    /// `3 replications each`.
    replication_count: String,
    /// The automatic reading, one sentence an item.
    sentences: Vec<String>,
    scenarios: Vec<ScenarioView>,
    results: Vec<ResultRow>,
    /// Whether some figures carry confidence intervals.
    intervals: bool,
    /// The lesson figures, first in the results (empty: none has anything to say).
    lessons: LessonTable,
    components: Vec<ComponentRow>,
    /// The figures each component's kind declares, beyond the common ones.
    kind_figures: Vec<KindFigureRow>,
    /// The figures of each request type, edge and cron entry (empty: no
    /// scenario has any).
    run_figures: Vec<RunFigureRow>,
    /// The baseline of the paired differences (empty: there are none).
    baseline: String,
    /// The paired differences from the baseline.
    differences: Vec<DifferenceRow>,
    charts: Vec<Figure>,
    /// Little's law at every station (empty: no component has stations).
    little: Vec<LittleRow>,
    /// Whether some gap of Little's law carries an interval over replications.
    little_intervals: bool,
    /// The response time law of each closed loop (empty: none is one).
    response_law: Vec<LawRow>,
    /// What queueing theory predicts, beside what was simulated (empty: no
    /// scenario is a model a formula describes exactly).
    theory: Vec<TheoryView>,
    /// Where the time goes, per scenario with a sample of journeys.
    critical_paths: Vec<CriticalView>,
}

/// Little's law at one station of one scenario: the check's numbers, formatted.
#[derive(Serialize)]
struct LittleRow {
    scenario: String,
    colour: String,
    component: String,
    /// L (requests).
    in_system: String,
    /// λ (requests per second).
    departure_rps: String,
    /// W (ms).
    sojourn_ms: String,
    /// λ·W (requests).
    lambda_w: String,
    /// L − λW, with the half-width of its interval over replications.
    gap: String,
    /// |L − λW| relative to L (%).
    relative_gap: String,
    /// The edge bound relative to L (%).
    relative_edge: String,
    /// Whether the gap lies within the edge bound.
    holds: bool,
}

/// The response time law of one closed loop: its figures, formatted.
#[derive(Serialize)]
struct LawRow {
    scenario: String,
    colour: String,
    /// N.
    users: String,
    /// Z (ms).
    think_ms: String,
    /// X (requests per second).
    throughput_rps: String,
    /// R, the measured mean latency (ms).
    latency_ms: String,
    /// N / X − Z (ms).
    law_ms: String,
    /// R − (N / X − Z) (ms).
    gap_ms: String,
    /// |R − (N / X − Z)| relative to N / X − Z (%).
    relative_gap: String,
}

/// What one formula predicts of one scenario, beside the simulation.
#[derive(Serialize)]
struct TheoryView {
    scenario: String,
    colour: String,
    /// The model (`M/M/4`).
    model: String,
    /// The component it describes.
    component: String,
    /// Its assumptions and predictions, in a sentence or two.
    statement: String,
    /// Each predicted figure that the run measured too.
    rows: Vec<TheoryRow>,
}

/// One predicted figure and its simulated value.
#[derive(Serialize)]
struct TheoryRow {
    /// Its name with its unit (`mean wait (ms)`).
    figure: String,
    theory: String,
    simulated: String,
}

/// The figures of a theory note that a run measures too: the note's key,
/// the result's path (`{c}` for the note's component), and whether the
/// result is the complement of the prediction (availability against the
/// refused share).
const PREDICTED: [(&str, &str, bool); 6] = [
    ("rho", "components.{c}.utilization", false),
    ("wait_probability", "wait_ms.p_wait", false),
    ("mean_wait_ms", "wait_ms.mean", false),
    ("mean_latency_ms", "latency_ms.mean", false),
    ("blocking", "availability", true),
    ("hit_ratio", "components.{c}.hit_ratio", false),
];

/// The lesson figures of a comparison: one column each, one row per scenario.
#[derive(Serialize)]
struct LessonTable {
    /// Each figure's name with its unit (`db lost writes`, `hit ratio (%)`).
    columns: Vec<String>,
    rows: Vec<LessonRow>,
}

/// A scenario's lesson figures.
#[derive(Serialize)]
struct LessonRow {
    scenario: String,
    colour: String,
    cells: Vec<String>,
}

/// The paired difference of one figure of one scenario from the baseline.
#[derive(Serialize)]
struct DifferenceRow {
    scenario: String,
    colour: String,
    /// The figure's name with its unit.
    figure: String,
    difference: String,
    /// `[low, high]`.
    interval: String,
    /// Whether the interval excludes zero.
    significant: bool,
}

/// One figure a component's kind declares, in one scenario.
#[derive(Serialize)]
struct KindFigureRow {
    scenario: String,
    colour: String,
    component: String,
    /// Its label with its unit (`hit ratio (%)`).
    figure: String,
    value: String,
}

/// One figure of a request type, an edge or a cron entry, in one scenario.
#[derive(Serialize)]
struct RunFigureRow {
    scenario: String,
    colour: String,
    /// What the figure is of (`type write`, `edge web->db`, `cron rebuild`).
    subject: String,
    /// Its label (`p99 latency`).
    figure: String,
    /// Its unit (`ms`), empty when it has none.
    unit: String,
    value: String,
}

/// A scenario in the list of scenarios.
#[derive(Serialize)]
struct ScenarioView {
    name: String,
    /// Its colour on the charts (`#rrggbb`).
    colour: String,
    /// Its `about` text, trimmed (empty when it has none).
    about: String,
}

/// A scenario's row in the results table.
#[derive(Serialize)]
struct ResultRow {
    scenario: String,
    colour: String,
    offered: String,
    availability: String,
    throughput: String,
    mean: String,
    p50: String,
    p99: String,
    p999: String,
    cost_per_hour: String,
    cost_per_million: String,
}

/// A component's row in the components table.
#[derive(Serialize)]
struct ComponentRow {
    scenario: String,
    colour: String,
    component: String,
    /// `—` for a component without cores, whose utilisation does not apply.
    utilisation: String,
    /// The utilisation of its busiest machine, or `-` with one machine.
    busiest: String,
    mean_queue: String,
    completed: String,
    rejected: String,
}

/// What the report of a sweep shows.
#[derive(Serialize)]
struct SweepPage {
    title: String,
    version: &'static str,
    /// `12 points`.
    point_count: String,
    /// The varied field paths joined by ` × `.
    parameter_list: String,
    sentences: Vec<String>,
    parameters: Vec<ParameterView>,
    metrics: Vec<MetricView>,
    points: Vec<PointView>,
    intervals: bool,
    charts: Vec<Figure>,
}

/// A varied parameter, as a column of the grid.
#[derive(Serialize)]
struct ParameterView {
    /// Its short name (`rate`).
    name: String,
    /// Its field path (`traffic.rate`).
    path: String,
}

/// A metric, as a column of the grid.
#[derive(Serialize)]
struct MetricView {
    /// Its name with its unit (`p99 latency (ms)`).
    axis: String,
    /// Whether a column of values from queueing theory follows.
    theory: bool,
}

/// A grid point, as a row of the grid.
#[derive(Serialize)]
struct PointView {
    labels: Vec<String>,
    cells: Vec<GridCell>,
}

/// A metric at a grid point.
#[derive(Serialize)]
struct GridCell {
    value: String,
    /// The value from queueing theory, when the metric's column has one.
    theory: Option<String>,
}

/// A chart with its caption.
#[derive(Serialize)]
struct Figure {
    id: String,
    /// The inline SVG: trusted markup, marked safe.
    svg: Value,
    caption: String,
}

/// The report's file name in a folder of results.
pub const FILE: &str = "report.html";

/// Returns the report of a comparison, with its charts inline (`drawn`, as
/// [`charts::comparison`] draws them).
pub fn comparison(data: &Comparison, drawn: &[Drawn]) -> Result<String> {
    let replications = data
        .results
        .iter()
        .map(|r| r.replications)
        .max()
        .unwrap_or(1);
    let page = ComparisonPage {
        title: data.title.clone(),
        version: env!("CARGO_PKG_VERSION"),
        scenario_count: plural(data.results.len(), "scenario", "scenarios"),
        replication_count: plural(
            usize::try_from(replications).unwrap_or(usize::MAX),
            "replication each",
            "replications each",
        ),
        sentences: reading::comparison(data),
        scenarios: data
            .results
            .iter()
            .enumerate()
            .map(|(i, r)| ScenarioView {
                name: r.scenario.clone(),
                colour: swatch(i),
                about: data.abouts.get(i).map_or("", |a| a.trim()).to_string(),
            })
            .collect(),
        results: data
            .results
            .iter()
            .enumerate()
            .map(|(i, r)| result_row(i, r))
            .collect(),
        intervals: data.results.iter().any(|r| r.replications > 1),
        lessons: lesson_table(&data.results, &data.focus),
        components: component_rows(&data.results),
        kind_figures: kind_figure_rows(&data.results),
        run_figures: run_figure_rows(&data.results),
        baseline: data
            .differences
            .first()
            .map(|d| d.baseline.clone())
            .unwrap_or_default(),
        differences: difference_rows(data),
        charts: figures(drawn),
        little: little_rows(data),
        little_intervals: data.results.iter().any(|r| r.replications > 1),
        response_law: law_rows(data),
        theory: theory_views(data),
        critical_paths: critical::views(&data.results, &swatch),
    };
    render_page("comparison.html", &page)
}

/// Returns the report of a sweep, with its charts inline (`drawn`, as
/// [`charts::sweep()`] draws them).
pub fn sweep(data: &SweepData, drawn: &[Drawn]) -> Result<String> {
    let with_theory: Vec<bool> = data
        .metrics
        .iter()
        .map(|m| {
            data.points
                .iter()
                .any(|p| charts::sweep::theory(p, m).is_some())
        })
        .collect();
    let page = SweepPage {
        title: format!("Sweep: {}", data.scenario),
        version: env!("CARGO_PKG_VERSION"),
        point_count: plural(data.points.len(), "point", "points"),
        parameter_list: data.parameters.join(" × "),
        sentences: reading::sweep(data),
        parameters: short_names(&data.parameters)
            .into_iter()
            .zip(&data.parameters)
            .map(|(name, path)| ParameterView {
                name,
                path: path.clone(),
            })
            .collect(),
        metrics: data
            .metrics
            .iter()
            .zip(&with_theory)
            .map(|(m, theory)| MetricView {
                axis: format::metric(m).axis(),
                theory: *theory,
            })
            .collect(),
        points: data
            .points
            .iter()
            .map(|p| PointView {
                labels: p.labels.clone(),
                cells: data
                    .metrics
                    .iter()
                    .zip(&with_theory)
                    .map(|(m, theory)| grid_cell(p, m, *theory))
                    .collect(),
            })
            .collect(),
        intervals: data.points.iter().any(|p| p.result.replications > 1),
        charts: figures(drawn),
    };
    render_page("sweep.html", &page)
}

/// What the report of a plan shows.
#[derive(Serialize)]
struct PlanPage {
    title: String,
    version: &'static str,
    /// `12 setups`.
    setup_count: String,
    /// The varied field paths joined by ` × `.
    parameter_list: String,
    /// The minimised figure with its unit.
    minimised: String,
    /// The objectives as written, joined.
    objectives: String,
    /// The objectives' figures with their units, as column heads.
    objective_names: Vec<String>,
    /// The verdict, one sentence an item.
    sentences: Vec<String>,
    parameters: Vec<ParameterView>,
    rows: Vec<PlanRow>,
    charts: Vec<Figure>,
}

/// One setup of a plan, as a row.
#[derive(Serialize)]
struct PlanRow {
    labels: Vec<String>,
    minimised: String,
    /// Each objective's figure with its interval.
    cells: Vec<String>,
    status: String,
    reason: String,
}

/// Returns the report of a plan, with its frontier inline (`drawn`, as
/// [`charts::plan()`] draws it); `paths` are the objectives' figures.
pub fn plan(data: &PlanData, paths: &[String], drawn: &[Drawn]) -> Result<String> {
    let minimised = format::metric(&data.minimised);
    let interval = |r: &ScenarioResult, path: &str| {
        let metric = format::metric(path);
        match r.figure(path) {
            Some(f) => match f.bounds() {
                Some((lo, hi)) => format!(
                    "{} [{}, {}]",
                    metric.show(f.value),
                    metric.show(lo),
                    metric.show(hi)
                ),
                None => metric.show(f.value),
            },
            None => "-".to_string(),
        }
    };
    let page = PlanPage {
        title: format!("Plan: {}", data.scenario),
        version: env!("CARGO_PKG_VERSION"),
        setup_count: plural(data.setups.len(), "setup", "setups"),
        parameter_list: data.parameters.join(" × "),
        minimised: minimised.axis(),
        objectives: data.objectives.join(", "),
        objective_names: paths.iter().map(|p| format::metric(p).axis()).collect(),
        sentences: data.sentences.clone(),
        parameters: short_names(&data.parameters)
            .into_iter()
            .zip(&data.parameters)
            .map(|(name, path)| ParameterView {
                name,
                path: path.clone(),
            })
            .collect(),
        rows: data
            .setups
            .iter()
            .map(|s| PlanRow {
                labels: s.labels.clone(),
                minimised: minimised.show(s.minimised),
                cells: paths
                    .iter()
                    .map(|p| {
                        s.result
                            .as_ref()
                            .map_or("-".to_string(), |r| interval(r, p))
                    })
                    .collect(),
                status: if s.best {
                    "best".to_string()
                } else {
                    s.status.clone()
                },
                reason: s.reason.clone(),
            })
            .collect(),
        charts: figures(drawn),
    };
    render_page("plan.html", &page)
}

/// Renders template `name` with `page`.
fn render_page<T: Serialize>(name: &str, page: &T) -> Result<String> {
    render(name, page).map_err(|e| Error::Draw {
        what: format!("the HTML report ({name})"),
        message: describe(&e),
    })
}

/// Returns a template error with its causes (an error inside a macro or a
/// parent template is the cause of the one its caller reports).
fn describe(error: &minijinja::Error) -> String {
    let mut message = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        message.push_str(": ");
        message.push_str(&e.to_string());
        cause = e.source();
    }
    message
}

/// Renders template `name` with `page`.
fn render<T: Serialize>(name: &str, page: &T) -> Result<String, minijinja::Error> {
    environment()?.get_template(name)?.render(Serde(page))
}

/// Returns the templates' environment: HTML escaping for the `.html`
/// templates (the default), block tags that leave no blank lines, and the
/// page's final newline kept.
fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_formatter(format_value);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// Writes a value into a template's output. Unsafe text in an HTML template
/// is escaped with [`esc`], which leaves `/` as it is (minijinja's own escaping
/// writes `&#x2f;`); everything else goes through minijinja's formatter.
fn format_value(
    out: &mut Output,
    state: &mut State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            out.write_str(&esc(text))?;
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// Returns the row of scenario `i` in the results table.
fn result_row(i: usize, r: &ScenarioResult) -> ResultRow {
    ResultRow {
        scenario: r.scenario.clone(),
        colour: swatch(i),
        offered: r
            .figure("requests.offered")
            .map_or("-".to_string(), |f| reading::count(f.value)),
        availability: cell(r, "availability", &|v| format::percent(v * 100.0)),
        throughput: cell(r, "throughput_rps", &|v| format!("{v:.1}")),
        mean: cell(r, "latency_ms.mean", &format::sig),
        p50: cell(r, "latency_ms.p50", &format::sig),
        p99: cell(r, "latency_ms.p99", &format::sig),
        p999: cell(r, "latency_ms.p999", &format::sig),
        cost_per_hour: cell(r, "cost_per_hour", &format::money),
        cost_per_million: cell(r, "cost_per_million", &format::money),
    }
}

/// Returns the table of the lesson figures of `results`.
fn lesson_table(results: &[ScenarioResult], focus: &[String]) -> LessonTable {
    let found = lessons(results, focus);
    LessonTable {
        columns: found.iter().map(|l| l.metric().axis()).collect(),
        rows: if found.is_empty() {
            Vec::new()
        } else {
            results
                .iter()
                .enumerate()
                .map(|(i, r)| LessonRow {
                    scenario: r.scenario.clone(),
                    colour: swatch(i),
                    cells: found.iter().map(|l| lesson_cell(r, &l.path)).collect(),
                })
                .collect()
        },
    }
}

/// Returns one row per paired difference, scenario by scenario.
fn difference_rows(data: &Comparison) -> Vec<DifferenceRow> {
    let mut rows = Vec::new();
    for d in &data.differences {
        let i = data
            .results
            .iter()
            .position(|r| r.scenario == d.scenario)
            .unwrap_or(0);
        for f in &d.figures {
            let metric = Metric::of(&f.path, f.measure);
            let shown = |v: f64| {
                let v = v * metric.scale;
                let text = format::sig(v.abs());
                if v < 0.0 {
                    format!("−{text}")
                } else {
                    format!("+{text}")
                }
            };
            rows.push(DifferenceRow {
                scenario: d.scenario.clone(),
                colour: swatch(i),
                figure: metric.axis(),
                difference: shown(f.difference.mean),
                interval: format!(
                    "[{}, {}]",
                    shown(f.difference.low()),
                    shown(f.difference.high())
                ),
                significant: f.significant(),
            });
        }
    }
    rows
}

/// Returns one row per station of each scenario: Little's law checked.
fn little_rows(data: &Comparison) -> Vec<LittleRow> {
    little::checks(&data.results)
        .iter()
        .map(|c: &LittleCheck| {
            let i = data
                .results
                .iter()
                .position(|r| r.scenario == c.scenario)
                .unwrap_or(0);
            let share = |x: f64| format::sig(x * 100.0);
            LittleRow {
                scenario: c.scenario.clone(),
                colour: swatch(i),
                component: c.component.clone(),
                in_system: format::sig(c.in_system),
                departure_rps: format::sig(c.departure_rps),
                sojourn_ms: format::sig(c.sojourn_ms),
                lambda_w: format::sig(c.lambda_w()),
                gap: match c.gap_ci {
                    Some(ci) if ci.half_width > 0.0 => {
                        format!("{} ± {}", format::sig(c.gap), format::sig(ci.half_width))
                    }
                    _ => format::sig(c.gap),
                },
                relative_gap: share(c.relative_gap()),
                relative_edge: share(c.relative_edge()),
                holds: c.holds(),
            }
        })
        .collect()
}

/// Returns each formula that describes a scenario exactly, with what it
/// predicts beside what the run measured.
fn theory_views(data: &Comparison) -> Vec<TheoryView> {
    let mut views = Vec::new();
    for (i, (r, notes)) in data.results.iter().zip(&data.theory).enumerate() {
        for note in notes {
            let rows = PREDICTED
                .iter()
                .filter_map(|(key, path, complement)| {
                    let predicted = note.figures.get(*key)?.as_f64()?;
                    // With a refused share, the cores are busy ρ(1 − B), not ρ.
                    if *key == "rho" && note.figures.contains_key("blocking") {
                        return None;
                    }
                    let path = path.replace("{c}", &note.component);
                    let f = r.figure(&path)?;
                    let predicted = if *complement {
                        1.0 - predicted
                    } else {
                        predicted
                    };
                    Some(TheoryRow {
                        figure: Metric::of(&path, f.measure).axis(),
                        theory: lesson_number(f.measure, predicted),
                        simulated: lesson_number(f.measure, f.value),
                    })
                })
                .collect();
            views.push(TheoryView {
                scenario: r.scenario.clone(),
                colour: swatch(i),
                model: note.model.clone(),
                component: note.component.clone(),
                statement: note.statement.clone(),
                rows,
            });
        }
    }
    views
}

/// Returns one row per closed loop, with its response time law.
fn law_rows(data: &Comparison) -> Vec<LawRow> {
    let shown = |v: f64| {
        if v.is_finite() {
            format::sig(v)
        } else {
            "-".to_string()
        }
    };
    response_law::checks(&data.results)
        .into_iter()
        .map(|c| {
            let i = data
                .results
                .iter()
                .position(|r| r.scenario == c.scenario)
                .unwrap_or(0);
            LawRow {
                colour: swatch(i),
                users: shown(c.users),
                think_ms: shown(c.think_ms),
                throughput_rps: shown(c.throughput_rps),
                latency_ms: shown(c.latency_ms),
                law_ms: shown(c.law_ms),
                gap_ms: shown(c.gap_ms),
                relative_gap: shown(c.relative_gap() * 100.0),
                scenario: c.scenario,
            }
        })
        .collect()
}

/// Returns one row per figure a component's kind declares, for each scenario.
fn kind_figure_rows(results: &[ScenarioResult]) -> Vec<KindFigureRow> {
    let mut rows = Vec::new();
    for (i, r) in results.iter().enumerate() {
        for f in &r.figures {
            let [head, component, key] = f.path.as_slice() else {
                continue;
            };
            // The common figures have their own table, and Little's law's its section.
            if head != "components"
                || COMPONENT.iter().any(|m| m.key == key)
                || CRITICAL_PATH.iter().any(|m| m.key == key)
                || little::KEYS.contains(&key.as_str())
            {
                continue;
            }
            let unit = f.measure.unit.symbol();
            let label = figure_label(f.measure, key);
            rows.push(KindFigureRow {
                scenario: r.scenario.clone(),
                colour: swatch(i),
                component: component.clone(),
                figure: if unit.is_empty() || f.measure.label.is_empty() {
                    label
                } else {
                    format!("{label} ({unit})")
                },
                value: lesson_cell(r, &f.path.join(".")),
            });
        }
    }
    rows
}

/// Returns one row per figure of a request type, an edge or a cron entry,
/// scenario by scenario, in the order of the results.
fn run_figure_rows(results: &[ScenarioResult]) -> Vec<RunFigureRow> {
    let mut rows = Vec::new();
    for (i, r) in results.iter().enumerate() {
        for f in &r.figures {
            let Some(subject) = run_figure_subject(&f.path) else {
                continue;
            };
            let key = f.path.last().map_or("", String::as_str);
            rows.push(RunFigureRow {
                scenario: r.scenario.clone(),
                colour: swatch(i),
                subject,
                figure: figure_label(f.measure, key),
                unit: f.measure.unit.symbol().to_string(),
                value: lesson_cell(r, &f.path.join(".")),
            });
        }
    }
    rows
}

/// Returns what the figure at `path` is of (`type write`, `edge web->db`,
/// `cron rebuild`), or `None` when it is not a figure of a request type, an
/// edge or a cron entry.
fn run_figure_subject(path: &[String]) -> Option<String> {
    let [head, name @ .., _key] = path else {
        return None;
    };
    let noun = match head.as_str() {
        "types" => "type",
        "edges" => "edge",
        "cron" => "cron",
        _ => return None,
    };
    (!name.is_empty()).then(|| format!("{noun} {}", name.join(".")))
}

/// Returns the label of the figure `measure` declares at last key `key`, or
/// the key in words when the declaration has none.
fn figure_label(measure: &Measure, key: &str) -> String {
    if measure.label.is_empty() {
        key.replace('_', " ")
    } else {
        measure.label_for(key).to_string()
    }
}

/// Returns one row per component of each scenario, in the order of their figures.
fn component_rows(results: &[ScenarioResult]) -> Vec<ComponentRow> {
    let mut rows = Vec::new();
    for (i, r) in results.iter().enumerate() {
        for name in r.component_names() {
            let key = |field: &str| format!("components.{name}.{field}");
            let count = |field: &str| {
                r.figure(&key(field))
                    .map_or("-".to_string(), |f| reading::count(f.value))
            };
            rows.push(ComponentRow {
                scenario: r.scenario.clone(),
                colour: swatch(i),
                component: name.to_string(),
                utilisation: if format::has_cores(r, name) {
                    cell(r, &key("utilization"), &|v| format!("{:.1}", v * 100.0))
                } else {
                    format::NOT_APPLICABLE.to_string()
                },
                busiest: cell(r, &key("busiest_utilization"), &|v| {
                    format!("{:.1}", v * 100.0)
                }),
                mean_queue: cell(r, &key("mean_queue"), &|v| format!("{v:.2}")),
                completed: count("completed"),
                rejected: count("rejected"),
            });
        }
    }
    rows
}

/// Returns metric `m` at grid point `p`, with its value from queueing theory
/// when its column has one.
fn grid_cell(p: &SweepPoint, m: &str, with_theory: bool) -> GridCell {
    let shown = format::metric(m);
    let number = |v: f64| {
        if shown.unit == "%" {
            format::percent(v * shown.scale)
        } else {
            format::sig(v * shown.scale)
        }
    };
    GridCell {
        value: cell(&p.result, m, &number),
        theory: with_theory.then(|| charts::sweep::theory(p, m).map_or("-".to_string(), number)),
    }
}

/// Returns every chart as inline SVG, with its caption.
fn figures(charts: &[Drawn]) -> Vec<Figure> {
    charts
        .iter()
        .map(|chart| Figure {
            id: chart.stem.clone(),
            svg: Value::from_safe_string(inline_svg(&chart.svg, &chart.title)),
            caption: caption(&chart.stem),
        })
        .collect()
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
        "gauges" => {
            "Values that components keep over the run, such as a queue's backlog: each \
             window shows the value's mean over that window, one line per component."
        }
        "cost_vs_p99" => {
            "Price per hour against p99 latency. The dashed frontier links the scenarios \
             that no other beats on both; the rest cost more for a worse tail."
        }
        "plan_frontier" => {
            "Each setup that ran, at its cost and its figure on the charted objective, with \
             its 95% interval. Filled: it meets every objective; hollow: it misses one. The \
             solid line is the limit; the dashed frontier links the setups no other beats on \
             both; the large point is the plan's answer."
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
        Some(f) if f.value.is_finite() => match (f.ci, f.cut_bounds()) {
            (Some(ci), _) if ci.half_width <= 0.0 => show(f.value),
            // An interval cut at 0 or 100% is shown by its bounds.
            (_, Some((low, high))) => format!("{} [{}, {}]", show(f.value), show(low), show(high)),
            (Some(ci), None) => {
                let scale = format::metric(path).scale;
                // The half-width is shown at the same scale as the value.
                let half = ci.half_width * scale;
                format!("{} ± {}", show(f.value), format::sig(half))
            }
            (None, None) => show(f.value),
        },
        _ => "-".to_string(),
    }
}

/// Returns the colour of scenario `i` on the charts, as `#rrggbb`.
fn swatch(i: usize) -> String {
    let c = style::colour(i);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Returns `n` with the singular or plural noun.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Escapes text for HTML content and attribute values: `&`, `<`, `>`, `"` and `'`.
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

    /// Returns the report of a comparison, with its charts.
    fn comparison_page(data: &Comparison) -> String {
        comparison(data, &charts::comparison(data, None).unwrap()).unwrap()
    }

    /// Returns the report of a sweep, with its charts.
    fn sweep_page(data: &SweepData) -> String {
        sweep(data, &charts::sweep(data, None).unwrap()).unwrap()
    }

    #[test]
    fn comparison_page_is_self_contained() {
        let html = comparison_page(&sample::comparison());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!(
            html.matches("<svg").count(),
            7,
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
    fn a_closed_loop_shows_its_response_time_law() {
        let mut data = sample::comparison();
        assert!(!comparison_page(&data).contains("Response time law"));
        data.results = vec![sample::closed_loop()];
        data.focus.clear();
        let html = comparison_page(&data);
        assert!(html.contains("<h2>Response time law</h2>"), "{html}");
        assert!(html.contains("<td>483</td><td>-18.0</td>"), "{html}");
    }

    #[test]
    fn sweep_page_has_grid_and_charts() {
        let html = sweep_page(&sample::sweep());
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("<th class=\"label\" title=\"traffic.rate\">rate</th>"));
        assert!(html.contains("p99 latency (ms) theory"));
        assert!(html.contains("Availability drops below 99.9%"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }

    #[test]
    fn lesson_figures_come_first_and_every_kind_figure_is_listed() {
        let mut data = sample::comparison();
        let lost = "components.db.lost_writes";
        let hits = "components.cache.hit_ratio";
        data.results = vec![
            sample::result("Async", &[(lost, 38.0, None), (hits, 0.9, None)]),
            sample::result("Sync", &[(lost, 0.0, None), (hits, 0.8, None)]),
        ];
        let html = comparison_page(&data);
        let lessons = html.find("Lesson figures").expect("a lesson table");
        let results = html.find("<th>offered</th>").expect("the results table");
        assert!(lessons < results, "lesson figures first");
        assert!(html.contains("<th>db lost writes</th>"), "{html}");
        assert!(html.contains("<td>38</td>"));
        assert!(html.contains("<td class=\"label\">hit ratio (%)</td><td>90.0</td>"));
    }

    #[test]
    fn figures_of_types_edges_and_cron_entries_have_their_table() {
        let mut data = sample::comparison();
        data.results = vec![
            sample::result(
                "Sync",
                &[
                    ("types.write.completed", 1200.0, None),
                    ("types.write.latency_ms_p99", 234.0, Some(0.945)),
                    ("edges.web->db.timeouts", 3.0, None),
                ],
            ),
            sample::result("Plain", &[("latency_ms.p99", 10.0, None)]),
            sample::result("Cron", &[("cron.rebuild.batch_ms", 41.25, None)]),
        ];
        let html = comparison_page(&data);
        let rows: Vec<&str> = html
            .lines()
            .filter(|l| {
                l.contains("<td class=\"label\">type ")
                    || l.contains(">edge ")
                    || l.contains(">cron ")
            })
            .collect();
        let cells = |of: &str, figure: &str, unit: &str, value: &str| {
            format!(
                "<td class=\"label\">{of}</td><td class=\"label\">{figure}</td>\
                 <td class=\"label\">{unit}</td><td>{value}</td></tr>"
            )
        };
        assert_eq!(rows.len(), 4, "{html}");
        assert!(rows[0].contains("Sync</td>"));
        assert!(rows[0].ends_with(&cells("type write", "answered", "", "1200")));
        assert!(rows[1].ends_with(&cells("type write", "p99 latency", "ms", "234 ±0.945")));
        // The edge's name is escaped, not taken for markup.
        assert!(rows[2].ends_with(&cells("edge web-&gt;db", "attempts timed out", "", "3")));
        assert!(rows[3].contains("Cron</td>"));
        assert!(rows[3].ends_with(&cells("cron rebuild", "cron batch duration", "ms", "41.2")));
        assert_eq!(
            html.matches("Request types, edges and cron entries")
                .count(),
            1
        );
    }

    #[test]
    fn no_table_of_run_figures_without_such_figures() {
        let html = comparison_page(&sample::comparison());
        assert!(
            html.contains("<th>offered</th>"),
            "the page has its other tables"
        );
        assert!(!html.contains("Request types, edges and cron entries"));
        let path = |p: &str| p.split('.').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(run_figure_subject(&path("components.web.completed")), None);
        assert_eq!(run_figure_subject(&path("types.completed")), None);
        assert_eq!(
            run_figure_subject(&path("types.read.errors")),
            Some("type read".to_string())
        );
    }

    #[test]
    fn empty_and_failed_comparisons_still_write_a_page() {
        let mut data = sample::comparison();
        data.results = vec![sample::result(
            "Dead",
            &[
                ("requests.offered", 10.0, None),
                ("availability", 0.0, None),
            ],
        )];
        let html = comparison_page(&data);
        assert!(html.contains("Dead loses 100% of requests."), "{html}");
        data.results.clear();
        let html = comparison_page(&data);
        assert!(!html.contains("<svg"));
    }

    #[test]
    fn availability_half_width_is_in_percent() {
        let r = sample::result("A", &[("availability", 0.995, Some(0.001))]);
        assert_eq!(
            cell(&r, "availability", &|v| format::percent(v * 100.0)),
            "99.50 ± 0.100"
        );
    }

    #[test]
    fn user_text_is_escaped_and_slashes_are_kept() {
        let mut data = sample::comparison();
        data.title = "Ours <vs> theirs".into();
        data.results[0].scenario = "A <b>'big'</b> & \"bold\" box".into();
        let html = comparison_page(&data);
        let name = "A &lt;b&gt;&#39;big&#39;&lt;/b&gt; &amp; &quot;bold&quot; box";
        assert!(html.contains("<title>Ours &lt;vs&gt; theirs</title>"));
        assert!(html.contains("<h1>Ours &lt;vs&gt; theirs</h1>"));
        assert!(
            html.contains(&format!("</span>{name}</dt>")),
            "scenario list"
        );
        assert!(
            html.contains(&format!("</span>{name}</td><td>160,000</td>")),
            "results"
        );
        assert!(!html.contains("<b>"));
        assert!(!html.contains("&#x2f;"), "a slash stays a slash");
        assert!(html.contains("<th>throughput (/s)</th>"));
    }

    #[test]
    fn sweep_labels_are_escaped() {
        let mut data = sample::sweep();
        data.scenario = "<Clones>".into();
        data.points[0].labels[1] = "a<b".into();
        let html = sweep_page(&data);
        assert!(html.contains("<h1>Sweep: &lt;Clones&gt;</h1>"));
        assert!(html.contains("<td class=\"label\">a&lt;b</td>"));
    }

    #[test]
    fn charts_are_the_only_markup_let_through() {
        let figure = Figure {
            id: "x".into(),
            svg: Value::from_safe_string("<svg><rect/></svg>".into()),
            caption: "<i>read</i>".into(),
        };
        let mut env = environment().unwrap();
        let source = "{% from 'sections.html' import figures %}{{ figures(charts) }}";
        env.add_template("test.html", source).unwrap();
        let html = env
            .get_template("test.html")
            .unwrap()
            .render(minijinja::context! { charts => Serde(vec![figure]) })
            .unwrap();
        assert!(html.contains("<svg><rect/></svg>"), "{html}");
        assert!(html.contains("<figcaption>&lt;i&gt;read&lt;/i&gt;</figcaption>"));
    }

    #[test]
    fn a_template_error_is_a_draw_error() {
        let err = render_page("missing.html", &()).unwrap_err();
        assert!(
            matches!(&err, Error::Draw { what, message }
                if what.contains("missing.html") && message.contains("missing.html")),
            "{err}"
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
