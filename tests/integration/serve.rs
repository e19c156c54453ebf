//! `scalesim serve`: the classroom page over real HTTP, against a server
//! started on port 0 as a user starts it. The page's runs give the numbers
//! of `scalesim run`, its errors the lines of `scalesim validate`, and its
//! guard rails hold (bodies capped, runs refused when all slots are taken,
//! runs stopped at their limits).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::{chain, root, run_json, scalesim};

/// A `scalesim serve` process, stopped when dropped.
struct Served {
    child: Child,
    address: SocketAddr,
}

impl Served {
    /// Starts `scalesim serve --port 0 ARGS` and reads the address it prints.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scalesim"))
            .current_dir(root())
            .args(["serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .parse()
            .unwrap();
        Self { child, address }
    }

    /// Sends one request (HTTP/1.0: one answer, never chunked) and returns
    /// its status and body.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        self.send(method, path, body.len(), body)
    }

    /// Sends a request whose head announces `length` bytes of body, then
    /// `body`, and returns the answer's status and body.
    fn send(&self, method: &str, path: &str, length: usize, body: &[u8]) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let head = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            self.address, length
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let split = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP answer has a head");
        let head = String::from_utf8_lossy(&answer[..split]).into_owned();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, answer[split + 4..].to_vec())
    }

    /// Sends a request with a JSON body and returns the status and the JSON answer.
    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, bytes) = self.request("POST", path, body.to_string().as_bytes());
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
        (status, value)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bundled text of `name`.
fn bundled(name: &str) -> String {
    std::fs::read_to_string(root().join("scenarios").join(format!("{name}.yaml"))).unwrap()
}

#[test]
fn the_page_its_assets_and_the_scenarios_are_served() {
    let served = Served::start(&[]);
    let (status, page) = served.request("GET", "/", b"");
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("<select id=\"scenario\">"), "{page}");
    assert!(page.contains("value=\"retry-storm\""));
    for asset in ["/app.js", "/style.css"] {
        let (status, body) = served.request("GET", asset, b"");
        assert_eq!(status, 200, "{asset}");
        assert!(body.len() > 500, "{asset} is {} bytes", body.len());
    }
    let (status, body) = served.request("GET", "/api/scenario?name=retry-storm", b"");
    assert_eq!(status, 200);
    let view: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(view["yaml"], json!(bundled("retry-storm")));
    assert_eq!(view["explanation"]["knobs"][0]["path"], "traffic.retries");
    let diagram = view["diagram"].as_str().unwrap();
    assert!(diagram.starts_with("<svg") && diagram.contains(">db<"));
    assert_eq!(served.request("GET", "/nowhere", b"").0, 404);
    assert_eq!(served.request("DELETE", "/api/run", b"").0, 405);
}

#[test]
fn the_page_gives_the_numbers_of_scalesim_run() {
    let served = Served::start(&[]);
    let set = ["traffic.retries=0", "duration=90s", "warmup=10s"];
    let request = json!({
        "variant": {"name": "retry-storm", "yaml": bundled("retry-storm"), "set": set},
        "seed": 7,
    });
    let (status, answer) = served.post("/api/run", &request);
    assert_eq!(status, 200, "{answer}");
    let mut args = vec!["retry-storm", "--seed", "7"];
    for s in &set {
        args.extend(["--set", s]);
    }
    let direct = run_json(&args).json;
    assert_eq!(answer["results"], direct);
    assert_eq!(
        answer["command"],
        json!(
            "scalesim run retry-storm --set 'traffic.retries=0' --set 'duration=90s' \
               --set 'warmup=10s' --seed 7"
        )
    );
    let charts = answer["charts"].as_array().unwrap();
    assert!(charts.len() >= 2);
    assert!(charts
        .iter()
        .all(|c| c["svg"].as_str().unwrap().contains("<svg")));
    assert!(!answer["reading"].as_array().unwrap().is_empty());
    let figures = answer["figures"].as_array().unwrap();
    assert_eq!(figures[0]["path"], "retry_amplification");
    assert_eq!(
        figures[0]["values"][0]["value"],
        direct[0]["retry_amplification"]
    );
}

#[test]
fn two_variants_run_side_by_side_as_scalesim_compare_runs_them() {
    let served = Served::start(&[]);
    let variant = |set: &[&str]| {
        // Long enough for the slow-down at 2 minutes.
        let set = [&["duration=210s", "warmup=10s"][..], set].concat();
        json!({"name": "retry-storm", "yaml": bundled("retry-storm"), "set": set})
    };
    let request = json!({
        "baseline": variant(&[]),
        "variant": variant(&["traffic.retries=0"]),
        "replications": 2,
    });
    let (status, answer) = served.post("/api/run", &request);
    assert_eq!(status, 200, "{answer}");
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let amplification = |i: usize| results[i]["retry_amplification"].as_f64().unwrap();
    // No retry, no amplification; the baseline retries into the slow-down.
    assert!(amplification(1) <= 1.0 + 1e-9, "{}", amplification(1));
    assert!(amplification(0) > amplification(1));
    // B alone on the baseline's seed gives B's figures of the comparison.
    let alone = run_json(&[
        "retry-storm",
        "--set",
        "duration=210s",
        "--set",
        "warmup=10s",
        "--set",
        "traffic.retries=0",
        "--seed",
        "13",
        "--replications",
        "2",
    ])
    .json;
    for key in [
        "requests",
        "latency_ms",
        "availability",
        "retry_amplification",
    ] {
        assert_eq!(results[1][key], alone[0][key], "{key}");
    }
    assert_eq!(
        answer["command"],
        json!(
            "A: scalesim run retry-storm --set 'duration=210s' --set 'warmup=10s' --seed 13 \
               --replications 2; B: scalesim run retry-storm --set 'duration=210s' \
               --set 'warmup=10s' --set 'traffic.retries=0' --seed 13 --replications 2"
        )
    );
}

#[test]
fn an_edited_file_gives_the_errors_of_scalesim_validate() {
    let served = Served::start(&[]);
    let edited = bundled("retry-storm")
        .replace("cores: 8\n    work: 10ms", "cores: 0\n    work: 10ms")
        .replace("retries: 4", "retries: many");
    let (status, answer) = served.post(
        "/api/check",
        &json!({"name": "retry-storm", "yaml": edited}),
    );
    assert_eq!(status, 400);
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("retry-storm.yaml"), &edited).unwrap();
    let output = scalesim()
        .current_dir(dir.path())
        .args(["validate", "retry-storm.yaml", "--json"])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let verdicts: Value = serde_json::from_slice(&output).unwrap();
    let texts: Vec<Value> = verdicts[0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].clone())
        .collect();
    assert!(texts.len() >= 2, "{texts:?}");
    assert_eq!(answer["errors"], Value::Array(texts));
    // A run of the same text is refused with the same lines.
    let (status, run) = served.post(
        "/api/run",
        &json!({"variant": {"name": "retry-storm", "yaml": edited}}),
    );
    assert_eq!(status, 400);
    assert_eq!(run["errors"], answer["errors"]);
}

#[test]
fn guard_rails_refuse_large_bodies_and_stop_long_runs() {
    let served = Served::start(&["--max-events", "20000"]);
    // Refused by its announced length, before a byte of it is read.
    let (status, body) = served.send("POST", "/api/run", (1 << 20) + 1, b"");
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    let (status, answer) = served.post("/api/run", &json!({"variant": {"name": "x"}}));
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("yaml"),
        "{answer}"
    );
    let request = json!({"variant": {"name": "retry-storm", "yaml": bundled("retry-storm")}});
    let (status, answer) = served.post("/api/run", &request);
    assert_eq!(status, 200, "{answer}");
    let truncated = answer["truncated"][0].as_str().unwrap();
    assert!(truncated.contains("limit of 20000 events"), "{truncated}");
}

#[test]
fn runs_beyond_max_runs_are_refused_while_one_goes() {
    let served = Served::start(&[
        "--max-runs",
        "1",
        "--max-wall",
        "3s",
        "--max-events",
        "1000000000000",
    ]);
    // An hour of heavy traffic: the wall-clock limit stops it.
    let long = "name: long\nduration: 1h\ntraffic: {rate: 20000/s}\nentry: web\n\
                components:\n  web: {kind: server, cores: 64, work: 3ms}\n";
    let request = json!({"variant": {"name": "long", "yaml": long}});
    let answers = std::thread::scope(|s| {
        let first = s.spawn(|| served.post("/api/run", &request));
        std::thread::sleep(Duration::from_millis(300));
        let mut answers = Vec::new();
        let started = Instant::now();
        // Whichever request took the slot, the other is refused.
        while !first.is_finished() && started.elapsed() < Duration::from_secs(60) {
            let answer = served.post("/api/run", &request);
            let refused = answer.0 == 503;
            answers.push(answer);
            if refused {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        answers.push(first.join().unwrap());
        answers
    });
    let refused = answers.iter().find(|(status, _)| *status == 503);
    let (_, refused) = refused.unwrap_or_else(|| panic!("no run was refused: {answers:?}"));
    assert!(
        refused["error"].as_str().unwrap().contains("busy"),
        "{refused}"
    );
    let ran = answers.iter().find(|(status, _)| *status == 200);
    let (_, ran) = ran.unwrap_or_else(|| panic!("no run went: {answers:?}"));
    let truncated = ran["truncated"][0].as_str().unwrap();
    assert!(truncated.contains("wall-clock"), "{truncated}");
}

#[test]
fn a_deep_chain_is_checked_and_run_and_the_server_answers_on() {
    // See: one check of a chain of 5,000 proxies once overflowed the stack
    // of a handler thread, which aborted the whole server.
    let served = Served::start(&[]);
    let variant = |n: usize| json!({"name": "chain", "yaml": chain(n, "proxy"), "set": []});
    for n in [5_000, 20_000] {
        let (status, answer) = served.post("/api/check", &variant(n));
        assert_eq!(status, 200, "{n}: {answer}");
        let nodes = answer["explanation"]["architecture"].as_array().unwrap();
        assert_eq!(nodes.len(), n);
        assert_eq!(nodes[n - 1]["depth"], n - 1);
        assert!(answer["diagram"].as_str().unwrap().ends_with("</svg>"));
    }
    let (status, answer) = served.post("/api/run", &json!({"variant": variant(5_000)}));
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer["results"][0]["requests"]["completed"]
            .as_f64()
            .unwrap()
            >= 1.0
    );
    let (status, _) = served.request("GET", "/api/scenario?name=retry-storm", b"");
    assert_eq!(status, 200, "the server still answers");
}

#[test]
fn a_port_in_use_is_bad_input() {
    let served = Served::start(&[]);
    let port = served.address.port().to_string();
    scalesim()
        .args(["serve", "--port", &port])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot listen on"));
}
