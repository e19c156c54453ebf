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
        differences: Vec::new(),
        focus: Vec::new(),
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
    let profile = dir.path().join("profile");
    let shot = dir.path().join("shot.png");
    let mut child = Command::new(&browser)
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
        .arg("--window-size=1280,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", browser.display()));
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
    let output = child.wait_with_output().unwrap();
    assert!(
        status.success() && shot.exists(),
        "{} failed ({status}): {}",
        browser.display(),
        String::from_utf8_lossy(&output.stderr)
    );
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
