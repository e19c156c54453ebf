//! The requests held by a part that relays them (a load balancer, a proxy):
//! each is worked on by the part's own cores, if it has work, then forwarded
//! to a target, whose answer it waits for and relays.
//!
//! [`Relay`] keeps the jobs in a slab keyed by the token the target quotes
//! back, times their work on [`Stations`], starts the next job when a core
//! frees, and keeps the jobs a crash lost until their target answers. The
//! part keeps its policy: which machine takes a request, where it goes next,
//! what is counted.

use slab::Slab;

use crate::engine::{ComponentId, SimTime};
use crate::model::{Call, Cause, Msg, Outcome};
use crate::parts::lifecycle::Lifecycle;
use crate::parts::station::{work_of, work_tag, Admission, Stations};
use crate::parts::{note_start, send_call, send_reply, Ctx};

/// Where a relayed request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// At the part's own cores (waiting or being worked on).
    Working,
    /// Forwarded to a target, waiting for its answer.
    Forwarded,
    /// Its machine crashed after forwarding it: already answered upstream,
    /// kept only until the target's answer comes back, so that the answer
    /// finds it.
    Lost,
}

/// A request a relay holds, with `route`, what the part keeps of its own
/// about it (where it sent it, for instance).
#[derive(Clone, Copy, Debug)]
pub struct Job<R> {
    /// The call that brought it, to answer.
    pub call: Call,
    /// Its request type, read on arrival.
    pub kind: u16,
    /// The machine of the part that holds it.
    pub machine: u32,
    /// When it arrived (and joined the queue, if it waited).
    pub queued_at: SimTime,
    /// Tells this job from earlier ones in the same slab slot, so that the
    /// timer of a job lost in a crash cannot finish its successor.
    pub serial: u32,
    /// Where it is.
    pub stage: Stage,
    /// The part's own notes about it.
    pub route: R,
}

/// What became of a request a relay took in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The part has no work: the job `token` is ready to forward now.
    Ready(u32),
    /// A core was free: the job `token` starts its work now.
    Started(u32),
    /// All cores were busy: it waits in the queue.
    Queued,
    /// The queue was full: it is refused, and forgotten.
    Rejected,
}

/// The jobs of a relaying part and the cores it works on them with.
pub struct Relay<R> {
    jobs: Slab<Job<R>>,
    next_serial: u32,
    /// One station per machine, when the part has work of its own.
    stations: Option<Stations>,
    /// Jobs lost in a crash, kept until their target answers.
    lost: usize,
}

impl<R> Relay<R> {
    /// Creates an empty relay working on `stations` (none needed when they
    /// have no work).
    pub fn new(stations: Stations) -> Self {
        Self {
            jobs: Slab::new(),
            next_serial: 0,
            stations: (!stations.is_idle()).then_some(stations),
            lost: 0,
        }
    }

    /// Returns the job `token`, if it is held.
    #[inline(always)]
    pub fn job(&self, token: u32) -> Option<&Job<R>> {
        self.jobs.get(token as usize)
    }

    /// Returns the job `token` to change it, if it is held.
    #[inline(always)]
    pub fn job_mut(&mut self, token: u32) -> Option<&mut Job<R>> {
        self.jobs.get_mut(token as usize)
    }

    /// Forgets the job `token` and returns it, if it was held.
    #[inline(always)]
    pub fn remove(&mut self, token: u32) -> Option<Job<R>> {
        // Returned as taken, not rebuilt, so that the job is not copied
        // once more on the way out.
        let job = self.jobs.try_remove(token as usize);
        if job.as_ref().is_some_and(|job| job.stage == Stage::Lost) {
            self.lost -= 1;
        }
        job
    }

    /// Returns the number of jobs lost in a crash still held.
    pub fn lost(&self) -> usize {
        self.lost
    }

    /// Returns the stations, when the part has work.
    pub fn stations(&self) -> Option<&Stations> {
        self.stations.as_ref()
    }

    /// Returns the stations to read their figures, when the part has work.
    pub fn stations_mut(&mut self) -> Option<&mut Stations> {
        self.stations.as_mut()
    }

    /// Takes in the request of `call` (of type `kind`) on `machine` at `now`.
    #[inline(always)]
    pub fn admit(&mut self, call: Call, kind: u16, machine: u32, route: R, now: SimTime) -> Entry {
        // Serials of 30 bits leave the top of the timer tags to the part's
        // own timers.
        self.next_serial = (self.next_serial + 1) & 0x3fff_ffff;
        let token = self.jobs.insert(Job {
            call,
            kind,
            machine,
            queued_at: now,
            serial: self.next_serial,
            stage: Stage::Working,
            route,
        }) as u32;
        let Some(stations) = self.stations.as_mut() else {
            return Entry::Ready(token);
        };
        match stations.arrive(machine, token, now) {
            Admission::Started => Entry::Started(token),
            Admission::Queued => Entry::Queued,
            Admission::Rejected => {
                self.jobs.remove(token as usize);
                Entry::Rejected
            }
        }
    }

    /// Puts the job `token` on a core: notes its wait and schedules the end
    /// of its work, slowed as its machine is in `lifecycle`.
    pub fn start(&self, token: u32, lifecycle: &Lifecycle, ctx: &mut Ctx<'_>) {
        let (Some(stations), Some(job)) = (self.stations.as_ref(), self.jobs.get(token as usize))
        else {
            return;
        };
        let slowdown = lifecycle.slowdown(job.machine);
        note_start(ctx, &job.call, job.machine);
        let time = stations.begin(
            ctx,
            job.call.req,
            job.kind,
            job.queued_at,
            SimTime::ZERO,
            slowdown,
        );
        ctx.schedule_self(time, Msg::Timer(work_tag(token, job.serial)));
    }

    /// The work timer tagged `tag` fired at `now`: frees its core and
    /// returns the job whose work is done, with the next job to start on
    /// that core. Returns `None` for the timer of a job gone since.
    pub fn worked(&mut self, tag: u64, now: SimTime) -> Option<(u32, Option<u32>)> {
        let (token, serial) = work_of(tag);
        let (machine, queued_at) = match self.jobs.get(token as usize) {
            Some(job) if job.serial == serial && job.stage == Stage::Working => {
                (job.machine, job.queued_at)
            }
            _ => return None,
        };
        let next = self
            .stations
            .as_mut()
            .and_then(|s| s.done(machine, queued_at, now));
        Some((token, next))
    }

    /// Machine `machine` crashed: the jobs it held are answered as lost,
    /// those at its cores are forgotten, and those forwarded are kept until
    /// their target answers. Returns how many jobs it held.
    pub fn crash(&mut self, machine: u32, ctx: &mut Ctx<'_>) -> u32 {
        let now = ctx.now();
        let mut stations = self.stations.as_mut();
        if let Some(stations) = stations.as_deref_mut() {
            stations.reset(machine, now);
        }
        let (mut held, mut lost) = (0, 0);
        // In slot order, so that the answers leave in the order of the jobs.
        self.jobs.retain(|_, job| {
            if job.machine != machine || job.stage == Stage::Lost {
                return true;
            }
            held += 1;
            let keep = job.stage != Stage::Working;
            if keep {
                job.stage = Stage::Lost;
                lost += 1;
                // Its request is answered now while its target still works
                // on it and reads its record: the record stays until the
                // target's answer comes back here ([`release_lost`]).
                ctx.shared.hold_request(job.call.req);
            } else if let Some(stations) = stations.as_deref_mut() {
                stations.abandon(job.queued_at, now);
            }
            send_reply(ctx, &job.call, Outcome::Failed(Cause::Crash));
            keep
        });
        self.lost += lost;
        held
    }
}

/// The answer to a job lost in a crash came back: its request, answered at
/// the crash, may now go ([`Relay::crash`] kept it for its target).
#[inline]
pub fn release_lost(ctx: &mut Ctx<'_>, call: &Call) {
    ctx.shared.release_request(call.req);
}

/// Sends the job `token` on to `replica` of `target` (or to any replica),
/// from the job's machine.
#[inline(always)]
pub fn forward<R>(
    ctx: &mut Ctx<'_>,
    target: ComponentId,
    token: u32,
    job: &mut Job<R>,
    replica: u32,
) {
    job.stage = Stage::Forwarded;
    let call = Call {
        req: job.call.req,
        reply_to: ctx.me(),
        token,
        replica,
        zone: ctx.shared.zone(ctx.me(), job.machine),
        about: job.call.about,
    };
    send_call(ctx, target, call);
}
