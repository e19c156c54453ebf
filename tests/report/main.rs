//! End-to-end tests of the charts and the HTML report: two small scenarios are
//! simulated, drawn into a temporary folder, and the page is photographed by a
//! headless browser to check that the charts really show.
//!
//! The screenshot needs Chromium (`/usr/bin/chromium`, or the program named by
//! `SCALESIM_CHROMIUM`), so it is ignored by default; `.ci/report-screenshot.sh`
//! installs Chromium if it is missing and runs it with `--include-ignored`. Once
//! run, it fails when the browser cannot be found or does not start.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scalesim::metrics::ScenarioResult;
use scalesim::report::data::Comparison;
use scalesim::report::{self, folder, html};

/// One machine with four cores; the load steps up halfway.
const ONE_BOX: &str = "
name: One box
about: |
  A single 4-core machine.
seed: 11
duration: 20s
warmup: 2s
traffic:
  schedule:
    - {at: 0s, rate: 500/s}
    - {at: 10s, rate: 700/s}
entry: box
components:
  box: {kind: server, cores: 4, work: 5ms, service: exponential, queue: 20}
";

/// Two 2-core clones behind a balancer, under the same load.
const TWO_CLONES: &str = "
name: Two clones
about: |
  Two 2-core machines behind a round-robin balancer.
seed: 11
duration: 20s
warmup: 2s
traffic:
  schedule:
    - {at: 0s, rate: 500/s}
    - {at: 10s, rate: 700/s}
entry: lb
components:
  lb: {kind: load_balancer, strategy: round_robin, targets: web}
  web: {kind: server, replicas: 2, cores: 2, work: 5ms, service: exponential, queue: 10}
";

/// The charts every comparison with these results must have.
const CHARTS: [&str; 6] = [
    "latency_percentiles",
    "latency_cdf",
    "throughput_availability",
    "time_series",
    "cost_vs_p99",
    "utilization",
];

/// Simulates both scenarios with two replications each.
fn comparison() -> Comparison {
    let scenarios = vec![
        scalesim::scenario::load_text(ONE_BOX, "one-box.yaml", &[]).unwrap(),
        scalesim::scenario::load_text(TWO_CLONES, "two-clones.yaml", &[]).unwrap(),
    ];
    let runs = scalesim::runner::run_all(&scenarios, 2, 0).unwrap();
    Comparison {
        title: "One box against two clones".into(),
        results: runs.iter().map(|r| ScenarioResult::from_runs(r)).collect(),
        abouts: scenarios.iter().map(|s| s.about.clone()).collect(),
        common_random_numbers: true,
        same_arrivals: scenarios[0].same_arrivals(&scenarios[1]),
        differences: Vec::new(),
        focus: Vec::new(),
        theory: scenarios
            .iter()
            .map(scalesim::report::explain::theory_of)
            .collect(),
    }
}

/// Writes the results of a fresh run into `dir`; returns the page.
fn write_report(dir: &Path) -> PathBuf {
    let files = report::comparison_files(&comparison(), None).unwrap();
    let charts = files.names().filter(|n| n.ends_with(".png")).count();
    assert_eq!(charts, CHARTS.len());
    folder::publish(dir, &files, "scalesim compare", None).unwrap();
    dir.join(html::FILE)
}

#[test]
fn charts_and_page_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let page = write_report(dir.path());
    for stem in CHARTS {
        for ext in ["png", "svg"] {
            let path = dir.path().join(format!("{stem}.{ext}"));
            let size = std::fs::metadata(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .len();
            assert!(size > 2_000, "{}: only {size} bytes", path.display());
        }
        let png = std::fs::read(dir.path().join(format!("{stem}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}.png");
    }
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.len() > 20_000,
        "report.html: only {} bytes",
        html.len()
    );
    assert_eq!(html.matches("<svg").count(), CHARTS.len());
    for stem in CHARTS {
        assert!(html.contains(&format!("<figure id=\"{stem}\">")), "{stem}");
    }
    assert!(
        !html.contains("http://"),
        "the page must not reference the network"
    );
    assert!(
        !html.contains("https://"),
        "the page must not reference the network"
    );
    assert!(html.contains("A single 4-core machine."));
    assert!(html.contains("same arrivals"));
}

/// Returns the browser to photograph the page with: `SCALESIM_CHROMIUM`, or
/// `/usr/bin/chromium`; panics if there is none.
fn chromium() -> PathBuf {
    let path = std::env::var_os("SCALESIM_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "no Chromium at {} (install Debian's chromium, or name the program in SCALESIM_CHROMIUM)",
        path.display()
    );
    path
}

#[test]
#[ignore = "needs Chromium (/usr/bin/chromium or SCALESIM_CHROMIUM); run by .ci/report-screenshot.sh"]
fn screenshot_shows_the_charts() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let page = write_report(dir.path());
    let shot = dir.path().join("shot.png");
    headless(
        &browser,
        dir.path(),
        &[
            "--window-size=1280,2400".to_string(),
            format!("--screenshot={}", shot.display()),
            format!("file://{}", page.display()),
        ],
    );
    assert!(shot.exists(), "{} wrote no screenshot", browser.display());
    if let Some(keep) = std::env::var_os("SCALESIM_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }

    let (width, height, pixels) = decode(&std::fs::read(&shot).unwrap());
    assert_eq!((width, height), (1280, 2400));
    let share = |pixels: &[[u8; 3]]| {
        let inked = pixels.iter().filter(|p| p.iter().any(|c| *c < 230)).count();
        inked as f64 / pixels.len() as f64
    };
    let colours: std::collections::BTreeSet<(u8, u8, u8)> = pixels
        .iter()
        .filter(|p| p.iter().any(|c| *c < 230))
        .map(|p| (p[0] / 32, p[1] / 32, p[2] / 32))
        .collect();
    // Below the tables, the page holds only charts: their bars, dots and lines
    // must show there, in the palette's colours.
    let charts = &pixels[1500 * 1280..];
    eprintln!(
        "screenshot: {:.1}% drawn, {:.1}% in the chart area, {} colours",
        share(&pixels) * 100.0,
        share(charts) * 100.0,
        colours.len()
    );
    assert!(share(&pixels) > 0.05, "the screenshot is almost blank");
    assert!(share(charts) > 0.08, "the chart area is almost blank");
    assert!(
        colours.len() >= 10,
        "only {} colours in the screenshot",
        colours.len()
    );
    for (name, rgb) in [("blue", [0, 114, 178]), ("vermilion", [213, 94, 0])] {
        let near = charts
            .iter()
            .filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) < 24))
            .count();
        assert!(
            near > 1_000,
            "the charts' {name} shows in only {near} pixels"
        );
    }
}

/// Runs headless Chromium with `args` after the common flags (no sandbox, no
/// network chatter, a fresh profile under `dir`); returns what it printed on
/// stdout. A browser that fails or hangs fails the test.
fn headless(browser: &Path, dir: &Path, args: &[String]) -> String {
    let profile = dir.join("profile");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", browser.display()));
    // Read the pipes on threads so that a chatty browser never blocks on a
    // full pipe while the test waits for it to exit.
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    // A browser that hangs must fail the test, not stall the suite.
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(180) {
            child.kill().unwrap();
            panic!("{} took more than 180 s", browser.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(
        status.success(),
        "{} failed ({status}): {err}",
        browser.display()
    );
    out
}

/// The compare of the failover scenarios, whose lesson is the writes that
/// asynchronous replication loses.
const FAILOVER: [&str; 2] = [
    "scenarios/database-failover-async.yaml",
    "scenarios/database-failover-sync.yaml",
];

/// The first screen of a laptop: what a reader sees before scrolling.
const FIRST_SCREEN: (u32, u32) = (1280, 800);

/// Appended to a copy of the report: finds the first visible element whose
/// own text names the lesson figure and writes its top and bottom edges, in
/// CSS pixels from the top of the page, into an element the test reads back
/// from the DOM that Chromium dumps.
const PROBE: &str = r#"<script>
(function () {
  var found = null;
  var all = document.body.getElementsByTagName("*");
  for (var i = 0; i < all.length && !found; i++) {
    var e = all[i];
    for (var j = 0; j < e.childNodes.length; j++) {
      var n = e.childNodes[j];
      if (n.nodeType === 3 && /lost writes/i.test(n.textContent) && e.getClientRects().length) {
        found = e;
        break;
      }
    }
  }
  var out = document.createElement("pre");
  out.id = "probe";
  if (found) {
    var r = found.getBoundingClientRect();
    out.textContent = Math.round(r.top + window.scrollY) + " " + Math.round(r.bottom + window.scrollY);
  } else {
    out.textContent = "none";
  }
  document.body.appendChild(out);
})();
</script>"#;

#[test]
#[ignore = "needs Chromium (/usr/bin/chromium or SCALESIM_CHROMIUM); run by .ci/report-screenshot.sh"]
fn the_lesson_figure_of_failover_is_in_the_first_screen() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .current_dir(root)
        .arg("compare")
        .args(FAILOVER)
        .arg("--quiet")
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "scalesim compare failed: {status}");
    let page = std::fs::read_to_string(out.join(html::FILE)).unwrap();
    assert!(page.contains("</body>"), "the report has a body");
    let probe = dir.path().join("probe.html");
    std::fs::write(
        &probe,
        page.replacen("</body>", &format!("{PROBE}</body>"), 1),
    )
    .unwrap();

    let (width, height) = FIRST_SCREEN;
    let dom = headless(
        &browser,
        dir.path(),
        &[
            format!("--window-size={width},{height}"),
            "--dump-dom".to_string(),
            format!("file://{}", probe.display()),
        ],
    );
    let at = dom
        .split("<pre id=\"probe\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("the probe did not run; the DOM ends: {}", tail(&dom)));
    let edges: Vec<f64> = at.split(' ').filter_map(|v| v.parse().ok()).collect();
    let [top, bottom] = edges[..] else {
        panic!("the report never names lost writes (probe: {at})");
    };
    eprintln!("lost writes first shown at {top}..{bottom} px of a {height} px screen");
    assert!(
        top >= 0.0 && bottom <= f64::from(height),
        "lost writes first shown at {top}..{bottom} px, below the first {height} px"
    );

    // The first screen itself: a page with its reading drawn, not a blank.
    let shot = dir.path().join("first-screen.png");
    headless(
        &browser,
        dir.path(),
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", shot.display()),
            format!("file://{}", out.join(html::FILE).display()),
        ],
    );
    if let Some(keep) = std::env::var_os("SCALESIM_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    let (w, h, pixels) = decode(&std::fs::read(&shot).unwrap());
    assert_eq!((w, h), FIRST_SCREEN);
    let inked = pixels.iter().filter(|p| p.iter().any(|c| *c < 128)).count();
    assert!(
        inked as f64 / pixels.len() as f64 > 0.01,
        "the first screen shows almost no text"
    );
}

/// The last characters of a long text, for a failure message.
fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(400);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    &text[start..]
}

/// Decodes a PNG into its size and RGB pixels.
fn decode(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let samples = info.color_type.samples();
    assert!(samples >= 3, "a colour screenshot");
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(samples)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

/// The bundled showcase, simulated as `scalesim` runs it (3 replications on
/// common random numbers): the cost-against-p99 chart's frontier holds only
/// setups that meet their availability objective, and the one big machine,
/// dark for the whole outage, is not among them.
#[test]
fn the_showcase_frontier_holds_only_setups_that_meet_the_objective() {
    use scalesim::cli::run::comparison;
    use scalesim::cli::showcase::SHOWCASE;
    use scalesim::report::charts::cost_vs_p99::frontier_of;
    use scalesim::report::reading::meets_objective;

    let scenarios: Vec<scalesim::scenario::Scenario> = SHOWCASE
        .iter()
        .map(|name| {
            let text = scalesim::bundled::find(name).expect("a bundled scenario");
            scalesim::scenario::load_text(text, name, &[]).expect("it loads")
        })
        .collect();
    let runs = scalesim::runner::run_all(&scenarios, 3, 0).expect("the runs complete");
    let data = comparison("showcase", &scenarios, &runs, true);
    let front = frontier_of(&data);
    let describe = |i: usize| {
        let r = &data.results[i];
        format!(
            "{} (availability {:.5}, objective {:.5})",
            r.scenario,
            r.value("availability"),
            r.value("slo.target")
        )
    };
    assert!(!front.is_empty(), "no setup is on the frontier");
    for &i in &front {
        assert!(
            meets_objective(&data.results[i]),
            "{} is on the frontier",
            describe(i)
        );
    }
    assert!(
        !meets_objective(&data.results[0]),
        "the showcase's lesson needs the vertical setup to miss its objective: {}",
        describe(0)
    );
    assert!(!front.contains(&0));
}
