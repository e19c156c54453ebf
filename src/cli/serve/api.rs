//! The JSON interface of the classroom page: explain a bundled scenario,
//! check an edited file, and run one variant or compare two.
//!
//! Each function takes what the page sent and returns what it shows, or a
//! [`Problem`] whose issues read exactly as `scalesim validate` prints them.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::bundled;
use crate::error::ScenarioError;
use crate::metrics::{RunSummary, StopReason};
use crate::report::charts::comparison_plots;
use crate::report::data::Comparison;
use crate::report::{diagram, explain, format, json as results_json, lessons, reading};
use crate::runner::{self, Limits, RunOptions};
use crate::scenario::{self, value_at, Override, Scenario};
use crate::spec::limits::{MAX_NAME_CHARS, MAX_PAGE_REPLICATIONS};

/// Figures the page shows for every run, after the scenario's own lesson
/// figures: whether the load was served, how fast, and at what price.
const HEADLINE: &[&str] = &[
    "availability",
    "throughput_rps",
    "latency_ms.mean",
    "latency_ms.p99",
    "cost_per_hour",
];

/// Why a request gets no answer but an error.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The HTTP status: 400 for bad input, 503 when busy...
    pub status: u16,
    /// What went wrong, in one line.
    pub message: String,
    /// The issues of a scenario file, one line each, as `scalesim
    /// validate` prints them (empty for other problems).
    pub issues: Vec<String>,
}

impl Problem {
    /// Returns a problem without issues.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            issues: Vec::new(),
        }
    }

    /// Returns the problem of an invalid scenario: every issue, placed.
    fn invalid(error: &ScenarioError) -> Self {
        Self {
            status: 400,
            message: "invalid scenario".into(),
            issues: crate::cli::validate::issue_texts(error),
        }
    }
}

/// One variant of a scenario, as the page sends it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// The file's name, for messages: a bundled scenario's name, or any
    /// name (`my-setup`), to which `.yaml` is added.
    pub name: String,
    /// The YAML text, as edited.
    pub yaml: String,
    /// Overrides, `PATH=VALUE`, as `--set` takes them: the knobs moved.
    #[serde(default)]
    pub set: Vec<String>,
}

/// A run, as the page asks for it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The variant to run.
    pub variant: Variant,
    /// A variant pinned earlier: when given, both run side by side on
    /// common random numbers (as `scalesim compare` runs them), it first.
    pub baseline: Option<Variant>,
    /// The seed of every run (default: the file's, the baseline's when
    /// comparing).
    pub seed: Option<u64>,
    /// Replications of each variant (default 1).
    pub replications: Option<u64>,
}

/// Returns the explanation of the bundled scenario named in `query`
/// (`name=retry-storm`), with its YAML text and its diagram.
pub fn scenario(query: &str) -> Result<Value, Problem> {
    let name = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("name="))
        .ok_or_else(|| Problem::new(400, "expected ?name=SCENARIO"))?;
    let text = bundled::find(name).ok_or_else(|| {
        let hint =
            bundled::suggest(name).map_or(String::new(), |n| format!("; did you mean `{n}`?"));
        Problem::new(
            404,
            format!("{name}: no bundled scenario of that name{hint}"),
        )
    })?;
    let variant = Variant {
        name: name.to_string(),
        yaml: text.to_string(),
        set: Vec::new(),
    };
    view(&variant)
}

/// Checks an edited variant (`body`: a [`Variant`] as JSON): its
/// explanation and diagram when valid, its issues when not.
pub fn check(body: &[u8]) -> Result<Value, Problem> {
    let variant: Variant = parse_json(body)?;
    view(&variant)
}

/// Returns what the page shows of a valid variant before it runs.
fn view(variant: &Variant) -> Result<Value, Problem> {
    let (scenario, overrides) = load(variant)?;
    let tree = scenario::tree(&variant.yaml, &overrides);
    let explanation = explain::explain(&scenario, &variant.yaml, tree.as_ref());
    Ok(json!({
        "name": variant.name,
        "file": file_name(&variant.name),
        "yaml": variant.yaml,
        "track": bundled::track(&variant.name).map(|t| t.title()),
        "explanation": explain::to_json(&explanation),
        "diagram": diagram::architecture_svg(&explanation),
        "warnings": scenario.warnings,
    }))
}

/// Parses the body of `/api/run`.
pub fn parse_run(body: &[u8]) -> Result<RunRequest, Problem> {
    let request: RunRequest = parse_json(body)?;
    if let Some(n) = request.replications {
        if !(1..=MAX_PAGE_REPLICATIONS).contains(&n) {
            return Err(Problem::new(
                400,
                format!(
                    "replications: expected 1 to {MAX_PAGE_REPLICATIONS} on the page, found {n}"
                ),
            ));
        }
    }
    Ok(request)
}

/// Runs a request within `limits`: the variant alone as `scalesim run`
/// does, or after the baseline as `scalesim compare` does; returns the
/// results (the same JSON as `results.json`), the charts as SVG, the
/// reading, the figures to show and any truncation.
pub fn run(request: &RunRequest, limits: &Limits) -> Result<Value, Problem> {
    let variants: Vec<&Variant> = request
        .baseline
        .iter()
        .chain(std::iter::once(&request.variant))
        .collect();
    let mut scenarios = Vec::new();
    for variant in &variants {
        scenarios.push(load(variant)?.0);
    }
    let compared = scenarios.len() > 1;
    if compared {
        tell_apart(&mut scenarios);
    }
    // Comparing, every variant takes the baseline's seed: common random numbers.
    let seed = request.seed.or_else(|| compared.then(|| scenarios[0].seed));
    crate::cli::run::apply_seed(&mut scenarios, seed);
    let replications = request.replications.unwrap_or(1);
    let options = RunOptions {
        limits: *limits,
        keep_series: true,
        ..RunOptions::new(replications, 1)
    };
    let runs = runner::run_batch(&scenarios, options)
        .map_err(|e| Problem::new(500, format!("cannot run: {e}")))?;
    let title = if compared {
        "scalesim comparison"
    } else {
        "scalesim results"
    };
    let data = crate::cli::run::comparison(title, &scenarios, &runs, compared);
    let results: Value = serde_json::from_str(&results_json::render_comparison(&data))
        .map_err(|e| Problem::new(500, format!("cannot read the results: {e}")))?;
    Ok(json!({
        "results": results,
        "figures": figures(&data),
        "charts": charts(&data)?,
        "reading": reading::comparison(&data),
        "truncated": truncations(&runs, limits),
        "command": command(&variants, seed, request.replications),
    }))
}

/// Gives two variants of the same name the labels `A` and `B`, so that the
/// charts and the reading tell them apart.
fn tell_apart(scenarios: &mut [Scenario]) {
    let same = scenarios.windows(2).any(|w| w[0].name == w[1].name);
    if same {
        for (s, label) in scenarios.iter_mut().zip(["A", "B"]) {
            s.name = format!("{label}: {}", s.name);
        }
    }
}

/// Returns the figures to show: the lesson figures, then the headline
/// ones, each with its label and its value in every variant (raw, and as
/// the report writes it).
fn figures(data: &Comparison) -> Vec<Value> {
    let mut paths: Vec<String> = lessons::lessons(&data.results, &data.focus)
        .into_iter()
        .map(|l| l.path)
        .collect();
    for path in HEADLINE {
        if !paths.iter().any(|p| p == path) {
            paths.push(path.to_string());
        }
    }
    paths
        .iter()
        .filter(|path| data.results.iter().any(|r| r.figure(path).is_some()))
        .map(|path| {
            let values: Vec<Value> = data
                .results
                .iter()
                .map(|r| {
                    let value = r.value(path);
                    json!({
                        "scenario": r.scenario,
                        "value": value.is_finite().then_some(value),
                        "text": lessons::cell(r, path),
                    })
                })
                .collect();
            json!({
                "path": path,
                "label": format::metric(path).axis(),
                "lesson": data.focus.contains(path),
                "values": values,
            })
        })
        .collect()
}

/// Draws the comparison's charts as SVG (no PNG: the page needs none).
fn charts(data: &Comparison) -> Result<Vec<Value>, Problem> {
    comparison_plots(data)
        .iter()
        .map(|plot| {
            let svg = plot
                .svg()
                .map_err(|e| Problem::new(500, format!("cannot draw {}: {e}", plot.stem)))?;
            Ok(json!({"stem": plot.stem, "title": plot.title, "svg": svg}))
        })
        .collect()
}

/// Describes each run a guard rail stopped: which, where, and why.
fn truncations(runs: &[Vec<RunSummary>], limits: &Limits) -> Vec<String> {
    runs.iter()
        .flatten()
        .filter_map(|run| {
            let t = run.truncated?;
            let why = match t.reason {
                StopReason::MaxEvents => format!(
                    "it reached the page's limit of {} events per run",
                    limits.max_events.unwrap_or_default()
                ),
                StopReason::MaxWall => format!(
                    "it ran for {} s of wall-clock time, the page's limit",
                    limits.max_wall.unwrap_or_default().as_secs()
                ),
                StopReason::MaxInFlight => format!(
                    "more than {} requests were in flight at once: the system is overloaded",
                    limits.max_in_flight
                ),
                StopReason::Interrupted => "it was interrupted".to_string(),
                StopReason::Stalled => crate::cli::batch::stalled_reason(),
            };
            Some(format!(
                "{} (replication {}) stopped at {:.3} s of simulated time: {why}; \
                 its figures cover that part only",
                run.scenario, run.replication, t.at_s
            ))
        })
        .collect()
}

/// Returns the command lines that give the same numbers in a terminal:
/// one `scalesim run` per variant, on the seed the page used (comparing,
/// each variant alone on that seed gives its figures of the comparison).
fn command(variants: &[&Variant], seed: Option<u64>, replications: Option<u64>) -> String {
    let lines: Vec<String> = variants
        .iter()
        .map(|variant| {
            let edited = bundled::find(&variant.name) != Some(variant.yaml.as_str());
            let file = if edited {
                file_name(&variant.name)
            } else {
                variant.name.clone()
            };
            let mut words = vec!["scalesim run".to_string(), file];
            words.extend(variant.set.iter().map(|set| format!("--set '{set}'")));
            if let Some(seed) = seed {
                words.push(format!("--seed {seed}"));
            }
            if let Some(n) = replications.filter(|&n| n > 1) {
                words.push(format!("--replications {n}"));
            }
            words.join(" ")
        })
        .collect();
    match lines.as_slice() {
        [one] => one.clone(),
        _ => lines
            .iter()
            .zip(["A", "B"])
            .map(|(line, label)| format!("{label}: {line}"))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Loads a variant as `scalesim run NAME.yaml --set ...` would, refusing
/// what the page does not do (read a trace from the server's disk).
fn load(variant: &Variant) -> Result<(Scenario, Vec<Override>), Problem> {
    if variant.name.chars().count() > MAX_NAME_CHARS || variant.name.trim().is_empty() {
        return Err(Problem::new(
            400,
            format!("name: expected 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    let overrides = variant
        .set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| Problem::new(400, format!("--set {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let file = file_name(&variant.name);
    if let Some(tree) = scenario::tree(&variant.yaml, &overrides) {
        if value_at(&tree, "traffic.trace").is_some_and(|v| !v.is_null()) {
            return Err(Problem::new(
                400,
                format!(
                    "{file}: traffic.trace: the classroom page reads no file from the \
                     server's disk; run a trace with `scalesim run`"
                ),
            ));
        }
    }
    let scenario =
        scenario::load_text(&variant.yaml, &file, &overrides).map_err(|e| Problem::invalid(&e))?;
    Ok((scenario, overrides))
}

/// Returns the file name that messages give a variant: its name with
/// `.yaml`, as `scalesim validate NAME.yaml` names it.
pub fn file_name(name: &str) -> String {
    let name = name.trim();
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        name.to_string()
    } else {
        format!("{name}.yaml")
    }
}

/// Parses a JSON body into `T`, naming the field that does not fit.
fn parse_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            String::new()
        } else {
            format!("{path}: ")
        };
        Problem::new(
            400,
            format!(
                "the request is not what the page sends: {field}{}",
                e.inner()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "name: tiny\nseed: 4\nduration: 20s\nwarmup: 2s\n\
                        traffic: {rate: 50/s}\nentry: web\n\
                        components:\n  web: {kind: server, cores: 1, work: 10ms}\n";

    fn variant(yaml: &str, set: &[&str]) -> Variant {
        Variant {
            name: "tiny".into(),
            yaml: yaml.into(),
            set: set.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_invalid_file_gives_the_issues_validate_prints() {
        let bad = TINY.replace("cores: 1", "cores: 0");
        let problem = view(&variant(&bad, &[])).unwrap_err();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.issues.len(), 1, "{problem:?}");
        assert!(
            problem.issues[0].starts_with("tiny.yaml:8:"),
            "{:?}",
            problem.issues
        );
        assert!(problem.issues[0].contains("components.web.cores"));
    }

    #[test]
    fn a_run_gives_the_results_of_the_library() {
        let request = RunRequest {
            variant: variant(TINY, &["components.web.cores=2"]),
            baseline: None,
            seed: Some(9),
            replications: None,
        };
        let answer = run(&request, &Limits::default()).unwrap();
        let mut scenario = scenario::load_text(
            TINY,
            "tiny.yaml",
            &[Override::parse("components.web.cores=2").unwrap()],
        )
        .unwrap();
        scenario.seed = 9;
        let direct = runner::simulate(&scenario, 0);
        let shown = &answer["results"][0];
        assert_eq!(
            shown["requests"]["completed"],
            json!(direct.requests.completed)
        );
        // The JSON rounds to six significant digits.
        let p99 = shown["latency_ms"]["p99"].as_f64().unwrap();
        assert!((p99 - direct.latency_ms.p99).abs() < 1e-4 * p99, "{p99}");
        assert!(!answer["charts"].as_array().unwrap().is_empty());
        assert_eq!(
            answer["command"],
            json!("scalesim run tiny.yaml --set 'components.web.cores=2' --seed 9")
        );
    }

    #[test]
    fn two_variants_of_one_name_are_told_apart_and_share_a_seed() {
        let request = RunRequest {
            variant: variant(TINY, &[]),
            baseline: Some(variant(TINY, &[])),
            seed: None,
            replications: Some(2),
        };
        let answer = run(&request, &Limits::default()).unwrap();
        let names: Vec<&str> = answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["scenario"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["A: tiny", "B: tiny"]);
        // The same file on the same seed gives the same figures.
        let a = &answer["results"][0]["latency_ms"];
        let b = &answer["results"][1]["latency_ms"];
        assert_eq!(a, b);
    }

    #[test]
    fn a_run_past_the_event_limit_says_so() {
        let request = RunRequest {
            variant: variant(TINY, &[]),
            baseline: None,
            seed: None,
            replications: None,
        };
        let limits = Limits {
            max_events: Some(500),
            ..Limits::default()
        };
        let answer = run(&request, &limits).unwrap();
        let lines = answer["truncated"].as_array().unwrap();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].as_str().unwrap().contains("limit of 500 events"));
    }

    #[test]
    fn bad_requests_are_refused_with_their_field() {
        let unknown = parse_run(br#"{"variant": {"name": "x", "yaml": "", "oops": 1}}"#);
        let problem = unknown.unwrap_err();
        assert_eq!(problem.status, 400);
        assert!(problem.message.contains("oops"), "{}", problem.message);
        let many = parse_run(br#"{"variant": {"name": "x", "yaml": ""}, "replications": 11}"#);
        assert!(many.unwrap_err().message.contains("expected 1 to 10"));
        let trace = variant(&TINY.replace("rate: 50/s", "trace: /etc/passwd"), &[]);
        let problem = view(&trace).unwrap_err();
        assert!(problem.message.contains("reads no file"), "{problem:?}");
        assert_eq!(scenario("name=retry-strom").unwrap_err().status, 404);
        assert!(scenario("name=retry-storm").is_ok());
    }
}
