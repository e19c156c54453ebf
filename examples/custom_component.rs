//! Example: a component kind defined outside scalesim, used from YAML.
//!
//! This example demonstrates:
//! - a new kind, `external_api`: a third-party API that answers after a fixed
//!   latency, refuses calls beyond its rate limit (a token bucket, like an
//!   HTTP 429), and costs a flat monthly subscription;
//! - what it declares: its name, its settings read from YAML with the same
//!   error messages as the built-in kinds, its facts (one machine, a price,
//!   nobody downstream), the figures it measures (one of them a lesson);
//! - registering it with `parts::Registry::builtin().with::<ApiSpec>()`;
//! - loading scenarios that use it, running them on common random numbers,
//!   and showing its figures in the usual table and HTML report.
//!
//! ```text
//!   clients --> [ web: 2 x 4 cores ] --checkout--> [ payments: external_api ]
//!                                                   120 ms, 35 calls/s, 500 $/month
//! ```
//!
//! Run it with `cargo run --release --example custom_component`; the report
//! goes to `output/custom-component/`.

#![allow(clippy::expect_used)]

use std::collections::VecDeque;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use scalesim::engine::{Component, SimTime};
use scalesim::metrics::{Better, ComponentStats, Measure, Reading, ScenarioResult, Unit, Window};
use scalesim::model::{Call, Msg, Outcome};
use scalesim::parts::{send_reply, BuildContext, Ctx, Kind, Part, Registry, SpecContext, World};
use scalesim::report::{self, data::Comparison, folder, html, table};
use scalesim::scenario::{self, Override};
use scalesim::spec::{join_key, parse_lenient, Duration, Issue, Price, Rate};
use scalesim::{runner, Result};

/// Calls the API received inside the measured window.
const CALLS: Measure = Measure::new("calls", "calls", Unit::Count, Better::Neither);

/// The share of calls it refused for going over the rate limit: the lesson.
const THROTTLED_RATIO: Measure = Measure::new(
    "throttled_ratio",
    "throttled calls",
    Unit::Share,
    Better::Lower,
)
.lesson(Some(0.0));

/// The fields of `kind: external_api` as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApi {
    latency: Duration,
    limit: Rate,
    burst: Option<u32>,
    price: Option<Price>,
}

/// The validated settings of an external API.
#[derive(Clone, Debug)]
struct ApiSpec {
    /// Time to answer an admitted call.
    latency: SimTime,
    /// Calls per second the provider admits, on average.
    limit_per_s: f64,
    /// Calls it admits in a burst, above the average.
    burst: u32,
    /// Price per hour of the subscription.
    price_per_hour: f64,
}

impl Kind for ApiSpec {
    const NAME: &'static str = "external_api";
    const MEASURES: &'static [&'static Measure] = &[&CALLS, &THROTTLED_RATIO];
    type Part = ExternalApi;

    fn parse(body: &Value, path: &str, _cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>> {
        let mut issues = Vec::new();
        let raw: RawApi = parse_lenient(body, path, &mut issues).ok_or_else(|| issues.clone())?;
        if raw.limit.per_sec <= 0.0 {
            issues.push(Issue::new(
                join_key(path, "limit"),
                "expected a positive rate limit, like 50/s",
            ));
        }
        if raw.burst == Some(0) {
            issues.push(Issue::new(
                join_key(path, "burst"),
                "expected a positive burst, found 0",
            ));
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(ApiSpec {
            latency: raw.latency.0,
            limit_per_s: raw.limit.per_sec,
            burst: raw.burst.unwrap_or(1),
            price_per_hour: raw.price.map_or(0.0, |p| p.per_hour),
        })
    }

    fn replicas(&self) -> u32 {
        1
    }

    fn price_per_hour(&self) -> f64 {
        self.price_per_hour
    }

    fn build(&self, bx: &BuildContext<'_>) -> ExternalApi {
        ExternalApi {
            name: bx.name().to_string(),
            latency: self.latency,
            per_ns: self.limit_per_s / 1e9,
            burst: f64::from(self.burst),
            tokens: f64::from(self.burst),
            refilled: SimTime::ZERO,
            answering: VecDeque::new(),
            window: bx.window,
            calls: 0,
            throttled: 0,
        }
    }
}

/// An external API while it runs.
struct ExternalApi {
    name: String,
    latency: SimTime,
    /// Tokens earned per nanosecond.
    per_ns: f64,
    burst: f64,
    tokens: f64,
    refilled: SimTime,
    /// Admitted calls, in the order their answers fall due (every answer
    /// takes the same latency).
    answering: VecDeque<Call>,
    window: Window,
    calls: u64,
    throttled: u64,
}

impl ExternalApi {
    /// Takes a call: admits it if the bucket holds a token, refuses it otherwise.
    fn call(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let earned = (now - self.refilled).0 as f64 * self.per_ns;
        self.tokens = (self.tokens + earned).min(self.burst);
        self.refilled = now;
        let counted = self.window.contains(now);
        self.calls += u64::from(counted);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.answering.push_back(call);
            ctx.schedule_self(self.latency, Msg::Timer(0));
        } else {
            self.throttled += u64::from(counted);
            send_reply(ctx, &call, Outcome::Rejected);
        }
    }
}

impl Component<Msg, World> for ExternalApi {
    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Call(call) => self.call(call, ctx),
            Msg::Timer(_) => {
                if let Some(call) = self.answering.pop_front() {
                    send_reply(ctx, &call, Outcome::Ok);
                }
            }
            _ => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        let ratio = if self.calls == 0 {
            0.0
        } else {
            self.throttled as f64 / self.calls as f64
        };
        ctx.shared.recorder.component(ComponentStats {
            name: self.name.clone(),
            kind: ApiSpec::NAME,
            utilization: 0.0,
            cores: 0,
            mean_queue: 0.0,
            completed: self.calls - self.throttled,
            rejected: self.throttled,
            extra: vec![
                Reading::of(&CALLS, self.calls as f64),
                Reading::of(&THROTTLED_RATIO, ratio),
            ],
            up_levels: Vec::new(),
        });
    }
}

/// The provider's machines are not ours: crashes and slow-downs of the
/// failure schedule do not reach it (every order keeps its default).
impl Part for ExternalApi {}

/// Two web servers; every checkout calls the payment API.
const SHOP: &str = "
name: Checkout, 35 calls/s plan
about: |
  Every checkout calls a payment API whose plan admits 35 calls a second.
seed: 3
duration: 2m
warmup: 10s
traffic:
  rate: 200/s
  requests:
    browse:   {weight: 80}
    checkout: {weight: 20}
entry: web
components:
  web:
    kind: server
    replicas: 2
    cores: 4
    work: 5ms
    calls: {checkout: [payments]}
  payments:
    kind: external_api
    latency: 120ms
    limit: 35/s
    burst: 20
    price: 500/month
";

fn main() -> Result<()> {
    let kinds = Registry::builtin().with::<ApiSpec>();
    let small = scenario::load_text_with(SHOP, "shop.yaml", &[], &kinds)?;
    let bigger_plan = [
        Override::parse("components.payments.limit=50/s").expect("a valid override"),
        Override::parse("components.payments.price=900/month").expect("a valid override"),
        Override::parse("name=Checkout, 50 calls/s plan").expect("a valid override"),
        Override::parse(
            "about=Every checkout calls a payment API whose plan admits 50 calls a second.",
        )
        .expect("a valid override"),
    ];
    let big = scenario::load_text_with(SHOP, "shop.yaml", &bigger_plan, &kinds)?;
    let scenarios = [small, big];
    let runs = runner::run_all(&scenarios, 3, 0)?;
    let results: Vec<ScenarioResult> = runs.iter().map(|r| ScenarioResult::from_runs(r)).collect();
    print!("{}", table::render(&results, &[]));
    let data = Comparison {
        title: "A payment API's rate limit".to_string(),
        abouts: scenarios
            .iter()
            .map(|s| s.about.trim().to_string())
            .collect(),
        results,
        common_random_numbers: true,
        same_arrivals: scenarios[0].same_arrivals(&scenarios[1]),
        differences: Vec::new(),
        focus: Vec::new(),
        theory: scenarios.iter().map(report::explain::theory_of).collect(),
    };
    let out = Path::new("output/custom-component");
    folder::publish(
        out,
        &report::comparison_files(&data, None)?,
        "cargo run --example custom_component",
        None,
    )?;
    println!("report: {}", out.join(html::FILE).display());
    Ok(())
}
