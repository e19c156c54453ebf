//! Every limit on what a scenario file or a flag can ask for, in one place.
//!
//! Each is checked before anything of that size is allocated, and each
//! message that refuses a value states the limit. `docs/model.md` lists them
//! (a test checks that it names every one).

/// Largest scenario file read, in bytes: far above any hand-written scenario,
/// and a bound on what the loader holds.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// Longest name (of a scenario, a component, a request type, a zone), in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Longest free text (`about`), in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Most replicas (machines) one component may have: each holds its own queue
/// and statistics.
pub const MAX_REPLICAS: u32 = 100_000;

/// Most machines a scenario may have, over all its components.
pub const MAX_MACHINES: u64 = 1_000_000;

/// Most components a scenario may have.
pub const MAX_COMPONENTS: usize = 20_000;

/// Most request types in `traffic.requests`: every component keeps its work
/// per type, so the tables grow with types times components.
pub const MAX_REQUEST_TYPES: usize = 256;

/// Most request types that get figures of their own (`types.NAME.*`): each
/// keeps a latency histogram per run. A mix with more types reports only
/// the figures of all requests together.
pub const MAX_TYPES_WITH_FIGURES: usize = 16;

/// Most points on a cache's hash ring (nodes times virtual nodes).
pub const MAX_RING_POINTS: u64 = 4_000_000;

/// Most points per node on a cache's hash ring.
pub const MAX_VIRTUAL_NODES: u32 = 10_000;

/// Most keys a cache that starts warm (`warm_start: true`) looks at to fill
/// its nodes: it holds at most that many entries at the start.
pub const MAX_WARM_KEYS: u32 = 10_000_000;

/// Most nodes in one database shard (primaries, or a primary and its replicas).
pub const MAX_NODES_PER_SHARD: u32 = 16;

/// Most shards of one database.
pub const MAX_SHARDS: u32 = 1024;

/// Longest duration a file may give, in nanoseconds (`duration`, `work`, a
/// timeout...): 10⁹ s, about 31.7 years, so that sums of a few of them stay
/// far within the clock's 64 bits of nanoseconds.
pub const MAX_DURATION_NS: u64 = 1_000_000_000_000_000_000;

/// Most SLO windows in the measured part of a run (each keeps two counters).
pub const MAX_SLO_WINDOWS: u64 = 1_000_000;

/// Highest arrival rate, per second: a mean gap of 100 ns between arrivals,
/// far beyond any single entry point, and still coarse next to the 1 ns clock.
pub const MAX_RATE: f64 = 1e7;

/// Most messages one queue may hold (`capacity`): each stored message is
/// work in flight, counted against `--max-in-flight` too.
pub const MAX_QUEUE_CAPACITY: u64 = 10_000_000;

/// Most deliveries of one message before it is dead-lettered (`max_deliveries`).
pub const MAX_DELIVERIES: u32 = 1000;

/// Most instances of one function (`concurrency`): each warm instance is a
/// few bytes of state, and each busy one holds an invocation in flight.
pub const MAX_CONCURRENCY: u32 = 1_000_000;

/// Most memory of one function instance, in MB (`memory`): 10 GB, the
/// largest size the major platforms sell.
pub const MAX_FUNCTION_MEMORY_MB: u32 = 10_240;
/// Largest trace file replayed (`traffic.trace`), in bytes: checked before
/// it is read.
pub const MAX_TRACE_BYTES: u64 = 256 << 20;

/// Most arrivals a trace may list: they are held in memory (ten bytes each at
/// most), shared by every replication.
pub const MAX_TRACE_ARRIVALS: usize = 10_000_000;

/// Most closed-loop users (`traffic.closed.users`): each is always either
/// thinking (one pending timer) or waiting for its request.
pub const MAX_CLOSED_USERS: u32 = 1_000_000;

/// Most cron entries of a scenario (`cron:`).
pub const MAX_CRON_ENTRIES: usize = 1_000;

/// Most jobs one cron batch is split into (`parallel`).
pub const MAX_CRON_PARALLEL: u32 = 100_000;

/// Largest burst of a proxy's rate limit, in tokens: a bucket is one
/// floating-point number, exact far beyond it, and a burst this large is no
/// limit at all.
pub const MAX_BURST: u32 = 1_000_000_000;

/// Most steps of calls one request type of a component makes (calls,
/// sequences and groups): each job that calls keeps one small counter per step.
pub const MAX_CALL_STEPS: usize = 256;

/// Deepest nesting of sequences and groups in `calls:`.
pub const MAX_CALL_DEPTH: usize = 8;

/// Largest count window of a circuit breaker (`window: N` calls): it keeps
/// one outcome per call of the window.
pub const MAX_BREAKER_WINDOW: u32 = 100_000;

/// Largest bulkhead of an edge (`bulkhead: N` calls in flight).
pub const MAX_BULKHEAD: u32 = 10_000_000;

/// Most retries of one request.
pub const MAX_RETRIES: u32 = 100;

/// Largest slow-down factor of a gray failure.
pub const MAX_SLOWDOWN: f64 = 1e6;

/// Slowest relative core speed: a core a hundred times slower than the
/// reference (a run where nothing completes teaches nothing).
pub const MIN_SPEED: f64 = 0.01;

/// Highest price of one machine, in dollars per hour.
pub const MAX_PRICE_PER_HOUR: f64 = 1e6;

/// Most replications of a scenario in one command.
pub const MAX_REPLICATIONS: u64 = 10_000;

/// Most threads a command starts (it starts no more than it has runs, nor
/// more than the machine has cores, whatever `--jobs` says).
pub const MAX_JOBS: usize = 1024;

/// Most values the knobs of a lesson offer, all knobs together: loading a
/// file loads it again with each, to check that it takes them.
pub const MAX_KNOB_VALUES: usize = 64;

/// Most points of a sweep's grid.
pub const MAX_POINTS: usize = 100_000;

/// Most runs of a sweep (points times replications).
pub const MAX_RUNS: u64 = 10_000_000;

/// Largest file of request journeys (`--trace`), in bytes: each run may
/// write its share (this over the number of runs), checked before each
/// journey is written.
pub const MAX_JOURNEY_FILE_BYTES: u64 = 1 << 30;

/// Most hops kept for one sampled journey: the calls beyond are left out of
/// its lines (which say so) and of the critical path.
pub const MAX_HOPS_PER_JOURNEY: usize = 256;

/// Most bytes of one request to the classroom page (`scalesim serve`): a
/// scenario file or two and their overrides.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

/// Most replications of one run from the classroom page: a class shares
/// the machine, and the page is for seeing a trade-off, not for a study.
pub const MAX_PAGE_REPLICATIONS: u64 = 10;

/// The range of a whole-number field whose limit is narrower than the
/// integer type it is read into (a `u32` of retries takes at most
/// [`MAX_RETRIES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRange {
    /// The field, as the last keys of its path (`retries`, `closed.users`).
    pub field: &'static str,
    /// The smallest value it takes.
    pub min: u64,
    /// The largest value it takes.
    pub max: u64,
}

impl FieldRange {
    /// Returns the message that refuses `found` for this field, stating its range.
    pub fn refusal(&self, found: impl std::fmt::Display) -> String {
        format!(
            "expected a whole number from {} to {}, found {found}",
            self.min, self.max
        )
    }
}

/// Retries of one request, or of one call on an edge.
pub const RETRIES: FieldRange = FieldRange {
    field: "retries",
    min: 0,
    max: MAX_RETRIES as u64,
};

/// Every whole-number field with a limit narrower than its type: the
/// message that refuses a value of the wrong type (`retries: -1`) states
/// the same range as the check that refuses one too large.
pub const FIELD_RANGES: &[FieldRange] = &[
    RETRIES,
    FieldRange {
        field: "replicas",
        min: 1,
        max: MAX_REPLICAS as u64,
    },
    FieldRange {
        field: "autoscale.max",
        min: 1,
        max: MAX_REPLICAS as u64,
    },
    FieldRange {
        field: "max_deliveries",
        min: 1,
        max: MAX_DELIVERIES as u64,
    },
    FieldRange {
        field: "concurrency",
        min: 1,
        max: MAX_CONCURRENCY as u64,
    },
    FieldRange {
        field: "burst",
        min: 1,
        max: MAX_BURST as u64,
    },
    FieldRange {
        field: "bulkhead",
        min: 1,
        max: MAX_BULKHEAD as u64,
    },
    FieldRange {
        field: "half_open_calls",
        min: 1,
        max: MAX_BREAKER_WINDOW as u64,
    },
    FieldRange {
        field: "parallel",
        min: 1,
        max: MAX_CRON_PARALLEL as u64,
    },
    FieldRange {
        field: "shards",
        min: 1,
        max: MAX_SHARDS as u64,
    },
    FieldRange {
        field: "virtual_nodes",
        min: 1,
        max: MAX_VIRTUAL_NODES as u64,
    },
    FieldRange {
        field: "primaries",
        min: 2,
        max: MAX_NODES_PER_SHARD as u64,
    },
    FieldRange {
        field: "read_replicas",
        min: 0,
        max: MAX_NODES_PER_SHARD as u64 - 1,
    },
    FieldRange {
        field: "closed.users",
        min: 1,
        max: MAX_CLOSED_USERS as u64,
    },
];

/// Returns the range of the field at `path` (like
/// `components.web.edges.db.retries`) when it is one of [`FIELD_RANGES`].
pub fn range_of(path: &str) -> Option<&'static FieldRange> {
    FIELD_RANGES.iter().find(|r| {
        path.strip_suffix(r.field)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    /// Every limit is documented: docs/model.md names each constant of this file.
    #[test]
    fn docs_name_every_limit() {
        let docs = include_str!("../../docs/model.md");
        let source = include_str!("limits.rs");
        let names: Vec<&str> = source
            .lines()
            .filter_map(|l| l.strip_prefix("pub const "))
            .filter_map(|l| l.split(':').next())
            .collect();
        assert!(names.len() > 15, "{names:?}");
        for name in names {
            assert!(
                docs.contains(&format!("`{name}`")),
                "docs/model.md does not name {name}"
            );
        }
    }

    use super::{range_of, RETRIES};

    #[test]
    fn a_field_path_finds_its_range_by_its_last_keys() {
        assert_eq!(range_of("traffic.retries"), Some(&RETRIES));
        assert_eq!(range_of("components.web.edges.db.retries"), Some(&RETRIES));
        assert_eq!(
            range_of("traffic.closed.users").map(|r| r.max),
            Some(1_000_000)
        );
        assert_eq!(range_of("traffic.users"), None);
        assert_eq!(range_of("components.db.max_retries"), None);
        assert_eq!(
            RETRIES.refusal(-1),
            "expected a whole number from 0 to 100, found -1"
        );
    }
}
