//! The sessions of a server's users: where they live, what a request finds,
//! and what a login costs.
//!
//! A session belongs to a user and is kept either by the replica that logged
//! the user in (`sessions: local`) or by a store component (`sessions:
//! {store: NAME}`, a cache or a database keyed by user). Beside the sessions
//! themselves the server keeps a *directory*: for each user seen within
//! `session_ttl`, whether its last request left it logged in. That is what
//! tells a first login from a lost session: a request that finds no session
//! where it is served, from a user the directory still knows, lost one.
//!
//! Both maps expire entries idle for `session_ttl` (`parts::expiring`), so
//! memory follows the users active within it, never every user ever seen.

use serde::Deserialize;
use serde_json::Value;

use crate::engine::SimTime;
use crate::metrics::{SessionCounts, Window};
use crate::parts::expiring::ExpiringMap;
use crate::parts::{SessionFacts, SpecContext, Topology};
use crate::spec::{join_key, parse_lenient, Duration, Issue};

/// Work of a login when `login_work` is not given: checking a password hash
/// and creating a session take tens of milliseconds of CPU.
pub const DEFAULT_LOGIN_WORK: SimTime = SimTime(20_000_000);

/// Idle time after which a session expires when `session_ttl` is not given.
pub const DEFAULT_SESSION_TTL: SimTime = SimTime(30 * 60 * 1_000_000_000);

/// What a server does with a request whose user has lost its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionMiss {
    /// Logs the user in again: the request costs `login_work` more.
    Relogin,
    /// Fails the request (`errors.session_lost`); the user logs in again
    /// with its next request.
    Error,
}

/// Where the sessions live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keeper {
    /// Each replica keeps the sessions of the users it logged in.
    Local,
    /// A cache or a database (its index in the scenario) keeps them all.
    Store(usize),
}

/// The validated session settings of a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionSpec {
    /// Where the sessions live.
    pub keeper: Keeper,
    /// What a lost session does to its request.
    pub miss: SessionMiss,
    /// Work of a login at speed 1.0, added to the request's own work.
    pub login_work: SimTime,
    /// Idle time after which a session expires.
    pub ttl: SimTime,
}

impl SessionSpec {
    /// Returns what the other components may know of these sessions.
    pub fn facts(&self) -> SessionFacts {
        SessionFacts {
            ttl: self.ttl,
            store: match self.keeper {
                Keeper::Local => None,
                Keeper::Store(store) => Some(store),
            },
        }
    }

    /// Checks that the store is a cache or a database; `path` is the server's.
    pub fn check_store(&self, path: &str, topology: &Topology) -> Option<Issue> {
        let Keeper::Store(store) = self.keeper else {
            return None;
        };
        let kind = topology.kind(store);
        (kind != "cache" && kind != "database").then(|| {
            Issue::new(
                join_key(&join_key(path, "sessions"), "store"),
                format!(
                    "a session store must be a cache or a database, but `{}` is a {kind}",
                    topology.name(store)
                ),
            )
        })
    }
}

/// The session fields of a server, as written.
pub struct RawSessionFields<'a> {
    /// `sessions:`
    pub sessions: Option<&'a Value>,
    /// `session_miss:`
    pub session_miss: Option<SessionMiss>,
    /// `login_work:`
    pub login_work: Option<Duration>,
    /// `session_ttl:`
    pub session_ttl: Option<Duration>,
}

/// `sessions: {store: NAME}` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    store: String,
}

/// Reads the session fields of the server at `path`; `None` for a stateless
/// server (`sessions: none`, or no `sessions`), or when they are wrong (the
/// mistakes go to `issues`).
pub fn parse(
    raw: RawSessionFields<'_>,
    path: &str,
    cx: &SpecContext<'_>,
    issues: &mut Vec<Issue>,
) -> Option<SessionSpec> {
    let field = |name: &str| join_key(path, name);
    let keeper = match raw.sessions {
        None => None,
        Some(value) => match keeper(value, &field("sessions"), cx, issues) {
            Ok(keeper) => keeper,
            // A mistake, already reported: the other fields are not judged.
            Err(()) => return None,
        },
    };
    let Some(keeper) = keeper else {
        for (name, given) in [
            ("session_miss", raw.session_miss.is_some()),
            ("login_work", raw.login_work.is_some()),
            ("session_ttl", raw.session_ttl.is_some()),
        ] {
            if given {
                issues.push(Issue::new(
                    field(name),
                    format!(
                        "`{name}` applies only to a server that keeps sessions \
                         (`sessions: local` or `sessions: {{store: NAME}}`)"
                    ),
                ));
            }
        }
        return None;
    };
    let ttl = raw.session_ttl.map_or(DEFAULT_SESSION_TTL, |d| d.0);
    if ttl == SimTime::ZERO {
        issues.push(Issue::new(
            field("session_ttl"),
            "expected a positive idle time, found 0 (a session would expire at once)",
        ));
    }
    Some(SessionSpec {
        keeper,
        miss: raw.session_miss.unwrap_or(SessionMiss::Relogin),
        login_work: raw.login_work.map_or(DEFAULT_LOGIN_WORK, |d| d.0),
        ttl,
    })
}

/// Reads `sessions:` at `path`: `local`, `none` (`Ok(None)`) or `{store:
/// NAME}`; `Err` after reporting a mistake.
fn keeper(
    value: &Value,
    path: &str,
    cx: &SpecContext<'_>,
    issues: &mut Vec<Issue>,
) -> Result<Option<Keeper>, ()> {
    match value {
        Value::String(word) if word == "local" => Ok(Some(Keeper::Local)),
        Value::String(word) if word == "none" => Ok(None),
        Value::Object(_) => {
            let raw: RawStore = parse_lenient(value, path, issues).ok_or(())?;
            cx.resolve(&raw.store, &join_key(path, "store"))
                .map(|store| Some(Keeper::Store(store)))
                .map_err(|e| issues.push(e))
        }
        other => {
            issues.push(Issue::new(
                path,
                format!("expected `local`, `none` or {{store: NAME}}, found {other}"),
            ));
            Err(())
        }
    }
}

/// How a request stands with its user's session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The session is where the request is served: nothing to do.
    Found,
    /// The user logs in with this request (it costs `login_work`).
    Login {
        /// It logs in again after losing a session (a re-login), rather
        /// than for the first time or after its session expired.
        again: bool,
        /// The session it held is lost with this request.
        lost: bool,
    },
    /// Its session is lost and the server fails the request.
    Lost,
}

impl Verdict {
    /// Returns true if the request logs its user in.
    pub fn logs_in(self) -> bool {
        matches!(self, Verdict::Login { .. })
    }
}

/// The sessions of one server component while it runs.
pub struct Sessions {
    miss: SessionMiss,
    /// Time a login holds a core at the server's speed.
    pub login_time: SimTime,
    /// With local sessions, those each replica holds, by
    /// `replica << 32 | user` (empty with a store).
    local: ExpiringMap<()>,
    /// Users seen within the ttl: `true` when their last request failed for
    /// want of a session (they must log in again).
    directory: ExpiringMap<bool>,
    window: Window,
    counts: SessionCounts,
}

impl Sessions {
    /// Creates the sessions of a server of core speed `speed`, measured over `window`.
    pub fn new(spec: &SessionSpec, speed: f64, window: Window) -> Self {
        Self {
            miss: spec.miss,
            login_time: SimTime::from_nanos_f64(spec.login_work.0 as f64 / speed),
            local: ExpiringMap::new(spec.ttl),
            directory: ExpiringMap::new(spec.ttl),
            window,
            counts: SessionCounts::default(),
        }
    }

    /// Judges a request of `user` served by `replica` at `now`, from the
    /// sessions the replica holds (local sessions).
    pub fn judge_local(&mut self, user: u32, replica: u32, now: SimTime) -> Verdict {
        self.expire(now);
        let here = self.local.get(local_key(replica, user), now).is_some();
        self.judge(user, here, now)
    }

    /// Judges a request of `user` at `now`, once the store has told whether
    /// it holds the user's session (`found`).
    pub fn judge_stored(&mut self, user: u32, found: bool, now: SimTime) -> Verdict {
        self.expire(now);
        self.judge(user, found, now)
    }

    fn judge(&self, user: u32, here: bool, now: SimTime) -> Verdict {
        match self.directory.get(u64::from(user), now) {
            // Unknown within the ttl: a first visit, or a return after expiry.
            None => Verdict::Login {
                again: false,
                lost: false,
            },
            // Told by an error that its session was lost: it logs in again.
            Some(true) => Verdict::Login {
                again: true,
                lost: false,
            },
            Some(false) if here => Verdict::Found,
            Some(false) => match self.miss {
                SessionMiss::Relogin => Verdict::Login {
                    again: true,
                    lost: true,
                },
                SessionMiss::Error => Verdict::Lost,
            },
        }
    }

    /// Records what `verdict` did for `user`, served by `replica` at `now`
    /// (once the request is admitted, or refused for want of a session).
    pub fn commit(&mut self, verdict: Verdict, user: u32, replica: Option<u32>, now: SimTime) {
        let counting = self.window.contains(now);
        match verdict {
            Verdict::Lost => {
                self.directory.touch(u64::from(user), true, now);
                self.counts.lost += u64::from(counting);
                return;
            }
            Verdict::Login { again, lost } if counting => {
                if again {
                    self.counts.relogins += 1;
                } else {
                    self.counts.logins += 1;
                }
                self.counts.lost += u64::from(lost);
            }
            _ => {}
        }
        self.directory.touch(u64::from(user), false, now);
        if let Some(replica) = replica {
            self.local.touch(local_key(replica, user), (), now);
        }
    }

    /// Replica `replica` crashed: the sessions it held are gone.
    pub fn crash(&mut self, replica: u32) {
        if !self.local.is_empty() {
            self.local.remove_where(|key| key >> 32 == u64::from(replica));
        }
    }

    /// Returns the number of entries held, for the in-flight guard rail.
    pub fn held(&self) -> usize {
        self.local.len() + self.directory.len()
    }

    /// Returns the counts over the measured window.
    pub fn counts(&self) -> SessionCounts {
        self.counts
    }

    fn expire(&mut self, now: SimTime) {
        self.local.expire(now);
        self.directory.expire(now);
    }
}

/// Returns the key of `user`'s session at `replica`.
#[inline]
fn local_key(replica: u32, user: u32) -> u64 {
    u64::from(replica) << 32 | u64::from(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * 1_000_000_000)
    }

    fn sessions(miss: SessionMiss) -> Sessions {
        let spec = SessionSpec {
            keeper: Keeper::Local,
            miss,
            login_work: SimTime(20_000_000),
            ttl: s(60),
        };
        let window = Window {
            start: SimTime::ZERO,
            end: s(1000),
        };
        Sessions::new(&spec, 2.0, window)
    }

    /// Judges and commits one request; returns the verdict.
    fn visit(x: &mut Sessions, user: u32, replica: u32, at: u64) -> Verdict {
        let v = x.judge_local(user, replica, s(at));
        x.commit(v, user, Some(replica), s(at));
        v
    }

    const FIRST: Verdict = Verdict::Login {
        again: false,
        lost: false,
    };
    const AGAIN: Verdict = Verdict::Login {
        again: true,
        lost: true,
    };

    #[test]
    fn a_session_lives_on_its_replica_until_idle_for_the_ttl() {
        let mut x = sessions(SessionMiss::Relogin);
        assert_eq!(x.login_time, SimTime(10_000_000), "20 ms of work at speed 2");
        assert_eq!(visit(&mut x, 7, 0, 0), FIRST);
        assert_eq!(visit(&mut x, 7, 0, 59), Verdict::Found);
        // Elsewhere, the session is lost and the user logs in again there.
        assert_eq!(visit(&mut x, 7, 1, 60), AGAIN);
        // Both replicas now hold one; each lives 60 s after its last use.
        assert_eq!(visit(&mut x, 7, 0, 118), Verdict::Found);
        assert_eq!(visit(&mut x, 7, 1, 119), Verdict::Found);
        // Idle for the whole ttl: a new visit, not a lost session.
        assert_eq!(visit(&mut x, 7, 1, 179), FIRST);
        assert_eq!(x.counts(), SessionCounts { logins: 2, relogins: 1, lost: 1 });
    }

    #[test]
    fn a_crash_empties_its_replica_only() {
        let mut x = sessions(SessionMiss::Relogin);
        visit(&mut x, 1, 0, 0);
        visit(&mut x, 2, 1, 0);
        x.crash(0);
        assert_eq!(visit(&mut x, 1, 0, 1), AGAIN);
        assert_eq!(visit(&mut x, 2, 1, 1), Verdict::Found);
    }

    #[test]
    fn with_errors_the_user_logs_in_again_on_its_next_request() {
        let mut x = sessions(SessionMiss::Error);
        visit(&mut x, 3, 0, 0);
        assert_eq!(visit(&mut x, 3, 1, 1), Verdict::Lost);
        // Even where an old session of its lives: the user was told to log in.
        let again = Verdict::Login {
            again: true,
            lost: false,
        };
        assert_eq!(visit(&mut x, 3, 0, 2), again);
        assert_eq!(visit(&mut x, 3, 0, 3), Verdict::Found);
        assert_eq!(x.counts(), SessionCounts { logins: 1, relogins: 1, lost: 1 });
    }

    #[test]
    fn memory_follows_the_users_active_within_the_ttl() {
        let mut x = sessions(SessionMiss::Relogin);
        for user in 0..1000 {
            visit(&mut x, user, user % 4, 0);
        }
        assert_eq!(x.held(), 2000);
        // A minute later only the users seen since are kept.
        for user in 0..10 {
            visit(&mut x, user, 0, 61);
        }
        assert_eq!(x.held(), 20);
    }

    /// A run of `users` users at 200 requests a second (for 2 minutes, 30 s
    /// of warm-up) through a round-robin balancer to two clones of `web`,
    /// with `rest` appended to the components (stores) and the file.
    fn run(web: &str, rest: &str) -> crate::metrics::RunSummary {
        let text = format!(
            "name: sessions\nseed: 3\nduration: 2m\nwarmup: 30s\n\
             traffic: {{rate: 200/s, users: 500}}\nentry: lb\n\
             network: {{latency: 0.5ms}}\ncomponents:\n\
             \x20 lb: {{kind: load_balancer, targets: web}}\n\
             \x20 web: {{kind: server, replicas: 2, cores: 4, work: 2ms, {web}}}\n{rest}"
        );
        let scenario = crate::scenario::load_text(&text, "sessions.yaml", &[]).unwrap();
        crate::runner::simulate(&scenario, 0)
    }

    #[test]
    fn a_store_keeps_sessions_for_every_clone() {
        let local = run("sessions: local", "");
        let store = run(
            "sessions: {store: s}",
            "  s: {kind: cache, capacity: 1000}\n",
        );
        // Round robin over two clones: with local sessions each user logged
        // in on both during the warm-up; with a store, once.
        // (A user that missed a clone for the whole warm-up, e^-6 of the
        // pairs, logs in there in the window.)
        assert!(local.sessions.logins + local.sessions.relogins < 10);
        assert_eq!(store.sessions, SessionCounts::default());
        // The store answers every request's read (counted when it reads, a
        // hop after the arrival: the window's edges may differ by one), and
        // was written once per user before the window opened.
        let reads = store.figure("components.s.reads").unwrap();
        assert!((reads - store.requests.offered as f64).abs() <= 2.0, "{reads}");
        assert_eq!(store.figure("components.s.writes"), Some(0.0));
        assert_eq!(store.figure("components.s.hit_ratio"), Some(1.0));
        // One more hop each way.
        assert!(store.latency_ms.mean > local.latency_ms.mean + 0.9);
    }

    #[test]
    fn a_store_that_comes_back_empty_has_logged_everyone_out() {
        let failure = "failures:\n  - {at: 1m, crash: s, for: 5s}\n";
        let cache = format!("  s: {{kind: cache, capacity: 1000}}\n{failure}");
        let r = run("sessions: {store: s}", &cache);
        // During the outage every request loses its session and fails to
        // keep the new one; after it, each active user logs in once more
        // (a few twice: a second request that reads before the first one's
        // login is written misses too).
        let failed = r.requests.failed;
        assert!((900..1100).contains(&failed), "failed {failed}");
        let lost = r.sessions.lost;
        assert!((failed + 490..failed + 520).contains(&lost), "lost {lost}, failed {failed}");
        assert_eq!(r.sessions.relogins, lost);
        // A database behind the cache still has them: only the sessions read
        // during the outage are lost (a few of those logins, finished after
        // it, kept their new session).
        let backed = format!(
            "  s: {{kind: cache, capacity: 1000, backend: db}}\n  db: {{kind: database}}\n{failure}"
        );
        let r = run("sessions: {store: s}", &backed);
        let (lost, failed) = (r.sessions.lost, r.requests.failed);
        assert!((failed..failed + 20).contains(&lost), "lost {lost}, failed {failed}");
    }

    #[test]
    fn with_errors_a_lost_session_fails_its_request_and_the_next_one_logs_in() {
        let r = run("sessions: local, session_miss: error, session_ttl: 10s", "");
        let failed = r.errors.iter().find(|(n, _)| *n == "session_lost").unwrap().1;
        assert!(failed > 100, "failed {failed}");
        assert_eq!(failed, r.requests.failed);
        assert_eq!(failed, r.sessions.lost);
        // Each such user logs in again with its next request (but for the
        // few whose next request came after the window or the ttl).
        let again = r.sessions.relogins;
        assert!(again <= failed && again + failed / 10 > failed, "{again} of {failed}");
    }

    #[test]
    fn a_store_must_be_a_cache_or_a_database_and_a_cache_store_needs_no_keys() {
        let text = |store: &str| {
            format!(
                "name: x\nduration: 10s\ntraffic: {{rate: 10/s}}\nentry: web\ncomponents:\n\
                 \x20 web: {{kind: server, work: 1ms, sessions: {{store: s}}}}\n  s: {store}\n"
            )
        };
        let load = |t: String| crate::scenario::load_text(&t, "x.yaml", &[]);
        assert!(load(text("{kind: cache, capacity: 10}")).is_ok());
        assert!(load(text("{kind: database, read_replicas: 2}")).is_ok());
        let e = load(text("{kind: server, work: 1ms}")).unwrap_err();
        assert_eq!(e.issues.len(), 1, "{e}");
        assert_eq!(e.issues[0].path, "components.web.sessions.store");
        // A cache that is not a store still needs a backend and keys.
        let plain = "name: x\nduration: 10s\ntraffic: {rate: 10/s}\nentry: c\ncomponents:\n\
                     \x20 c: {kind: cache, capacity: 10}\n";
        let e = load(plain.to_string()).unwrap_err();
        let messages: Vec<&str> = e.issues.iter().map(|i| i.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("missing field `backend`"));
        assert!(messages[1].contains("needs requests with keys"));
    }

    #[test]
    fn stateless_servers_draw_no_user_ids_and_session_servers_do() {
        let text = |web: &str| {
            format!(
                "name: x\nduration: 10s\ntraffic: {{rate: 10/s}}\nentry: web\ncomponents:\n\
                 \x20 web: {{kind: server, work: 1ms{web}}}\n"
            )
        };
        let uses = |web: &str| {
            let s = crate::scenario::load_text(&text(web), "x.yaml", &[]).unwrap();
            s.components.iter().any(|c| c.spec.uses_user_ids())
        };
        assert!(!uses(""));
        assert!(!uses(", sessions: none"));
        assert!(uses(", sessions: local"));
    }

    #[test]
    fn sessions_count_against_the_in_flight_guard_rail() {
        // 5000 users, each seen once a minute or so, and sessions that last
        // an hour: about 20,000 entries (directory and four replicas) by the
        // end, far more than the few requests in flight.
        let text = |sessions: &str| {
            format!(
                "name: x\nseed: 1\nduration: 10m\nwarmup: 0s\n\
                 traffic: {{rate: 100/s, users: 5000}}\nentry: lb\ncomponents:\n\
                 \x20 lb: {{kind: load_balancer, targets: web}}\n\
                 \x20 web: {{kind: server, replicas: 4, cores: 8, work: 1ms{sessions}}}\n"
            )
        };
        let limits = crate::runner::Limits {
            max_in_flight: 5_000,
            ..Default::default()
        };
        let run = |sessions: &str| {
            let scenario = crate::scenario::load_text(&text(sessions), "x.yaml", &[]).unwrap();
            crate::runner::simulate_guarded(&scenario, 0, &limits, None)
        };
        let stop = run(", sessions: local, session_ttl: 1h").truncated;
        let stop = stop.expect("the sessions pass the cap");
        assert_eq!(stop.reason, crate::metrics::StopReason::MaxInFlight);
        // Without sessions the same traffic runs to its end.
        let run = run("");
        assert!(run.truncated.is_none());
    }
}
