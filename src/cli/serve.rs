//! `scalesim serve`: the classroom page, served by scalesim itself.
//!
//! A small blocking HTTP server (tiny_http) answers on 127.0.0.1 by default:
//! the page and its script and styles, embedded in the binary (no build
//! step, no network), and a JSON interface the page calls to explain a
//! scenario, check an edited file and run it. The runs go through the same
//! functions as `scalesim run` and `scalesim compare`, so the page shows the
//! same numbers for the same file, overrides and seed.
//!
//! Guard rails keep a class from hanging it: each run stops after a number
//! of events and of wall-clock seconds (its results are then marked
//! truncated), at most `--max-runs` runs go at once (the others are refused
//! at once with a message that says why), request bodies are capped at
//! [`MAX_REQUEST_BYTES`], and replications at
//! [`MAX_PAGE_REPLICATIONS`](crate::spec::limits::MAX_PAGE_REPLICATIONS).
//!
//! The connections themselves are tiny_http's: it gives each a thread of its
//! own until the client closes it, and offers no cap on them nor an idle
//! timeout (the README says what to do where that matters).

mod api;
mod page;

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tiny_http::{Header, Method, Request, Response, Server};

use crate::error::{Error, Result};
use crate::runner::{Limits, DEFAULT_MAX_IN_FLIGHT};
use crate::spec::limits::MAX_REQUEST_BYTES;

/// The default cap on events per run: a few seconds of simulation, enough
/// for every bundled scenario.
pub const DEFAULT_MAX_EVENTS: u64 = 50_000_000;

/// The default cap on the wall-clock time of a run.
pub const DEFAULT_MAX_WALL: Duration = Duration::from_secs(60);

/// Threads answering requests beyond those that may be running a
/// simulation: the page, its assets and the checks of files stay quick
/// while runs go on.
const SPARE_HANDLERS: usize = 4;

/// What the page may load and run: only its own script and styles (the
/// charts' inline styles aside), nothing from another host, no inline script.
const CONTENT_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'";

/// What the server needs to know: where to listen and its guard rails.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The address to listen on (port 0: any free port).
    pub address: SocketAddr,
    /// The guard rails of every run.
    pub limits: Limits,
    /// The most runs that may go at once; more are refused.
    pub max_runs: usize,
}

impl Settings {
    /// Returns settings for `host:port` with the default guard rails and
    /// one run at a time per core.
    pub fn new(host: IpAddr, port: u16) -> Self {
        Self {
            address: SocketAddr::new(host, port),
            limits: Limits {
                max_events: Some(DEFAULT_MAX_EVENTS),
                max_wall: Some(DEFAULT_MAX_WALL),
                max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            },
            max_runs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Runs `scalesim serve`: listens, prints the address to open, and answers
/// until the process is stopped.
pub fn run(settings: Settings) -> Result<()> {
    let listening = Listening::bind(settings)?;
    super::run::print(&format!(
        "scalesim serve: open http://{}/ (Ctrl-C to stop)\n",
        listening.address()
    ))?;
    listening.serve();
    Ok(())
}

/// A bound server, ready to answer.
pub struct Listening {
    server: Arc<Server>,
    state: Arc<State>,
    address: SocketAddr,
}

/// What the handlers share: the settings and the runs going on.
struct State {
    settings: Settings,
    running: AtomicUsize,
}

impl Listening {
    /// Binds the address of `settings`; a port in use or an address that
    /// is not this machine's is bad input.
    pub fn bind(settings: Settings) -> Result<Self> {
        let wanted = settings.address;
        let server = Server::http(wanted)
            .map_err(|e| Error::Usage(format!("cannot listen on {wanted}: {e}")))?;
        let address = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| Error::Usage(format!("cannot listen on {wanted}")))?;
        Ok(Self {
            server: Arc::new(server),
            state: Arc::new(State {
                settings,
                running: AtomicUsize::new(0),
            }),
            address,
        })
    }

    /// Returns the address it listens on (with the port chosen for port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Answers requests on a fixed set of threads until the server stops.
    pub fn serve(self) {
        let handlers = self.state.settings.max_runs + SPARE_HANDLERS;
        let threads: Vec<_> = (0..handlers)
            .map(|_| {
                let server = Arc::clone(&self.server);
                let state = Arc::clone(&self.state);
                std::thread::spawn(move || {
                    while let Ok(request) = server.recv() {
                        state.answer(request);
                    }
                })
            })
            .collect();
        for thread in threads {
            // A handler that panicked has already lost its request; the
            // others go on.
            let _ = thread.join();
        }
    }
}

/// An answer: a status, a content type and a body.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Returns a JSON answer.
    fn json(status: u16, value: &Value) -> Self {
        Self {
            status,
            content_type: "application/json; charset=utf-8",
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    /// Returns an error as JSON: `error`, one line, and `errors`, each issue
    /// as `scalesim validate` prints it.
    fn problem(problem: &api::Problem) -> Self {
        Self::json(
            problem.status,
            &json!({"error": problem.message, "errors": problem.issues}),
        )
    }
}

impl State {
    /// Reads one request, answers it, and sends the answer.
    fn answer(&self, mut request: Request) {
        let reply = match read_body(&mut request) {
            Ok(body) => self.route(request.method(), request.url(), &body),
            Err(problem) => Reply::problem(&problem),
        };
        let mut response = Response::from_data(reply.body).with_status_code(reply.status);
        for (name, value) in [
            ("Content-Type", reply.content_type),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", CONTENT_POLICY),
        ] {
            if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        }
        // A client that went away does not want its answer.
        let _ = request.respond(response);
    }

    /// Returns the answer to `method url` with `body`.
    fn route(&self, method: &Method, url: &str, body: &[u8]) -> Reply {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let result = match (method, path) {
            (Method::Get, "/") => page::index(&self.settings).map(|html| Reply {
                status: 200,
                content_type: "text/html; charset=utf-8",
                body: html.into_bytes(),
            }),
            (Method::Get, "/app.js") => Ok(asset("text/javascript; charset=utf-8", page::SCRIPT)),
            (Method::Get, "/style.css") => Ok(asset("text/css; charset=utf-8", page::STYLE)),
            (Method::Get, "/api/scenario") => api::scenario(query).map(|v| Reply::json(200, &v)),
            (Method::Post, "/api/check") => api::check(body).map(|v| Reply::json(200, &v)),
            (Method::Post, "/api/run") => self.run(body).map(|v| Reply::json(200, &v)),
            (_, "/" | "/app.js" | "/style.css" | "/api/scenario" | "/api/check" | "/api/run") => {
                Err(api::Problem::new(
                    405,
                    format!("{method} {path}: method not allowed"),
                ))
            }
            _ => Err(api::Problem::new(404, format!("{path}: no such page"))),
        };
        result.unwrap_or_else(|problem| Reply::problem(&problem))
    }

    /// Runs what `body` asks for, if a run slot is free.
    fn run(&self, body: &[u8]) -> Result<Value, api::Problem> {
        let request = api::parse_run(body)?;
        let _slot = self.take_slot()?;
        api::run(&request, &self.settings.limits)
    }

    /// Takes one of the `--max-runs` slots, or refuses when all are taken.
    fn take_slot(&self) -> Result<Slot<'_>, api::Problem> {
        let max = self.settings.max_runs;
        let taken = self
            .running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            });
        match taken {
            Ok(_) => Ok(Slot(&self.running)),
            Err(_) => Err(api::Problem::new(
                503,
                format!(
                    "the server is busy: {max} run(s) are going already (--max-runs); \
                     try again in a moment"
                ),
            )),
        }
    }
}

/// A run slot, given back when dropped.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Returns an embedded asset.
fn asset(content_type: &'static str, text: &'static str) -> Reply {
    Reply {
        status: 200,
        content_type,
        body: text.as_bytes().to_vec(),
    }
}

/// Reads a request's body, refusing one over [`MAX_REQUEST_BYTES`] (by its
/// announced length before reading, and by what arrives).
fn read_body(request: &mut Request) -> Result<Vec<u8>, api::Problem> {
    let too_large = || {
        api::Problem::new(
            413,
            format!(
                "the request holds more than {} KiB, the most the page sends",
                MAX_REQUEST_BYTES >> 10
            ),
        )
    };
    if request.body_length().is_some_and(|n| n > MAX_REQUEST_BYTES) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_REQUEST_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| api::Problem::new(400, format!("cannot read the request: {e}")))?;
    if body.len() > MAX_REQUEST_BYTES {
        return Err(too_large());
    }
    Ok(body)
}
