//! Scenario files: the checked [`Scenario`] they become, and the way there.
//!
//! The path from text to a runnable model has three steps, each with its own type:
//! the YAML text is read into a tree (with positions kept aside by
//! [`crate::spec::locate`]), `--set` overrides edit that tree, and the sections
//! are assembled into a [`Scenario`] whose every reference resolves and every
//! value is in range. Each part reads its own section ([`crate::parts`]);
//! this module reads the top level, the network and the objective, and checks
//! what involves several components at once. Errors at any step name the
//! file, line, column and field path, and all of a file's errors are reported
//! together.

mod assemble;
pub mod lesson;
mod load;
mod overrides;
mod raw;
mod topology;

use std::io::Read;
use std::path::Path;

use crate::engine::SimTime;
use crate::error::{Error, ScenarioError};
use crate::metrics::Slo;
use crate::parts::cron::CronSpec;
use crate::parts::failures::FailureSpec;
use crate::parts::traffic::Traffic;
use crate::parts::{ComponentDecl, Registry, Topology};
use crate::spec::limits::MAX_FILE_BYTES;

pub use lesson::Lesson;
pub use overrides::{value_at, Override};

/// A validated scenario, ready to be simulated.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Display name.
    pub name: String,
    /// Free text describing the setup (may be empty).
    pub about: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// When arrivals stop.
    pub duration: SimTime,
    /// Statistics exclude requests that arrive before this time.
    pub warmup: SimTime,
    /// The client side: arrivals, request mix, users, timeout.
    pub traffic: Traffic,
    /// Index (in `components`) of the component that receives client requests.
    pub entry: usize,
    /// Latency between machines and between co-located components.
    pub network: Network,
    /// The components, in file order.
    pub components: Vec<ComponentDecl>,
    /// The facts of the components (names, machines, hosts, zones).
    pub topology: Topology,
    /// Crashes, power losses and slow-downs to inflict.
    pub failures: Vec<FailureSpec>,
    /// Periodic batch jobs.
    pub cron: Vec<CronSpec>,
    /// The objective against which availability over time is judged.
    pub slo: Slo,
    /// Regions and the zones each one holds.
    pub regions: Vec<(String, Vec<String>)>,
    /// What the scenario teaches: its lesson figures and its knobs.
    pub lesson: Lesson,
    /// What the file asks for that it will not get (a failure after the end
    /// of the run), one line each, placed like errors: for the command line
    /// to show.
    pub warnings: Vec<String>,
}

impl Scenario {
    /// Returns true if a run of `other` sees the same arrivals as a run of
    /// this scenario with the same replication: the same seed, duration and
    /// warm-up, and traffic that draws the same arrival times, types, users
    /// and keys from the same streams ([`Traffic::same_arrivals`]).
    pub fn same_arrivals(&self, other: &Scenario) -> bool {
        self.seed == other.seed
            && self.duration == other.duration
            && self.warmup == other.warmup
            && self.traffic.same_arrivals(&other.traffic)
    }
}

/// Latencies between components.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// One-way latency of a hop between two machines.
    pub latency: SimTime,
    /// One-way latency of a hop between two components on the same host.
    pub ipc: SimTime,
    /// Per-link overrides: (component, component, one-way latency).
    pub links: Vec<(usize, usize, SimTime)>,
    /// One-way latency between regions: (region, region, latency), by the
    /// regions' indices in [`Scenario::regions`]; every pair or none.
    pub regions: Vec<(usize, usize, SimTime)>,
}

/// Reads, overrides and validates the scenario file at `path`.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, Error> {
    let text = read_text(path)?;
    Ok(load_text(&text, &path.display().to_string(), overrides)?)
}

/// Reads a scenario file as text: at most [`MAX_FILE_BYTES`] bytes (a
/// device or a huge file is refused before it fills memory), in UTF-8 (the
/// first invalid byte is named by its line and column).
pub fn read_text(path: &Path) -> Result<String, Error> {
    let file_name = path.display().to_string();
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ScenarioError::whole(
            &file_name,
            format!(
                "the file holds more than {} MiB, the most a scenario file may hold",
                MAX_FILE_BYTES >> 20
            ),
        )
        .into());
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        ScenarioError::at(
            &file_name,
            line,
            col,
            "invalid text: a scenario file is UTF-8, and this byte is not",
        )
        .into()
    })
}

/// Returns the tree of scenario `text` as written, with `overrides` applied
/// (those that do not apply are left out: [`load_text`] reports them), or
/// `None` when the text is not YAML.
pub fn tree(text: &str, overrides: &[Override]) -> Option<serde_json::Value> {
    let mut root: serde_json::Value = serde_saphyr::from_str(text).ok()?;
    for o in overrides {
        let _ = o.apply(&mut root);
    }
    Some(root)
}

/// Parses, overrides and validates scenario `text`; `file` names it in errors.
pub fn load_text(
    text: &str,
    file: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    load::load(text, file, overrides, &Registry::builtin())
}

/// Like [`load_text`], with the kinds of `registry` (which may add kinds
/// defined outside the crate).
pub fn load_text_with(
    text: &str,
    file: &str,
    overrides: &[Override],
    registry: &Registry,
) -> Result<Scenario, ScenarioError> {
    load::load(text, file, overrides, registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads a scenario of one server, with `traffic` and `seed`.
    fn one_server(traffic: &str, seed: u64, cores: u32) -> Scenario {
        let text = format!(
            "name: s\nseed: {seed}\nduration: 1m\ntraffic: {traffic}\nentry: web\n\
             components:\n  web: {{kind: server, cores: {cores}, work: 10ms}}\n"
        );
        load_text(&text, "t", &[]).unwrap()
    }

    #[test]
    fn arrivals_are_the_same_only_with_the_same_seed_and_traffic() {
        let big = one_server("{rate: 100/s}", 7, 8);
        // Another architecture under the same traffic and seed.
        assert!(big.same_arrivals(&one_server("{rate: 100/s}", 7, 2)));
        assert!(!big.same_arrivals(&one_server("{rate: 100/s}", 8, 8)));
        assert!(!big.same_arrivals(&one_server("{rate: 120/s}", 7, 8)));
        // A closed loop's arrivals follow its answers.
        let closed = one_server("{closed: {users: 10, think: 1s}}", 7, 8);
        assert!(!closed.same_arrivals(&closed.clone()));
    }

    /// Returns the errors of scenario `text` as one string (empty when it loads).
    fn errors_of(text: &str) -> String {
        load_text(text, "t", &[])
            .err()
            .map_or(String::new(), |e| e.to_string())
    }

    /// A scenario with two regions and latencies between them; `more` adds
    /// components.
    fn two_regions(more: &str) -> String {
        format!(
            "name: r\nduration: 1m\ntraffic: {{rate: 10/s}}\nentry: web\n\
             regions: {{eu: [eu-a], us: [us-a]}}\n\
             network: {{regions: [{{between: [eu, us], latency: 40ms}}]}}\n\
             components:\n  web: {{kind: server, zone: eu-a, work: 1ms, calls: {{request: [f]}}}}\n\
             {more}"
        )
    }

    #[test]
    fn a_function_without_a_zone_between_regions_is_told_to_add_one() {
        let e = errors_of(&two_regions(
            "  f: {kind: function, work: 10ms}\n  g: {kind: server, zone: us-a, work: 1ms}\n",
        ));
        assert!(e.contains("components.f: no `zone:` is given"), "{e}");
        assert!(e.contains("add `zone:` with a zone of `regions:`"), "{e}");
        assert!(
            e.contains("its region sets the latency of the calls to it"),
            "{e}"
        );
        assert!(!e.contains("zone `default` is in no region"), "{e}");
        let fine = errors_of(&two_regions(
            "  f: {kind: function, work: 10ms, zone: us-a}\n  g: {kind: server, zone: us-a, work: 1ms}\n",
        ));
        assert_eq!(fine, "");
    }

    #[test]
    fn an_empty_zone_of_a_region_is_a_warning_and_may_lose_power() {
        let text = "name: z\nduration: 1m\ntraffic: {rate: 10/s}\nentry: web\n\
                    regions: {eu: [zone-a, zone-b]}\n\
                    failures: [{power_loss: zone-b, at: 10s}]\n\
                    components:\n  web: {kind: server, work: 1ms, zone: zone-a}\n";
        let scenario = load_text(text, "t", &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scenario.warnings.len(), 1, "{:?}", scenario.warnings);
        assert!(
            scenario.warnings[0].contains("regions.eu: no component is placed in zone `zone-b`"),
            "{:?}",
            scenario.warnings
        );
    }

    #[test]
    fn an_error_of_a_sweep_point_names_its_varied_values() {
        let text = "name: m\nduration: 1m\ntraffic: {rate: 10/s}\nentry: web\n\
                    components:\n  web: {kind: server, machine: small, cores: 2, work: 1ms}\n";
        let point = [Override::varied("components.web.machine", "medium")];
        let e = load_text(text, "t", &point).err().map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(e.contains("components.web.cores: machine `medium`"), "{e}");
        assert!(
            e.ends_with("(at the point --vary components.web.machine=medium)"),
            "{e}"
        );
        // The same value given by --set is the user's own: no point to name.
        let set = [Override::set("components.web.machine", "medium")];
        let e = load_text(text, "t", &set).err().map(|e| e.to_string());
        assert!(!e.unwrap_or_default().contains("at the point"));
    }

    #[test]
    fn an_empty_key_is_told_in_the_words_of_a_file() {
        let e = errors_of("name: x\n: 3\n");
        assert!(e.contains("t:2:1: invalid YAML: a key is empty"), "{e}");
        assert!(!e.contains("Option<"), "{e}");
    }
}
