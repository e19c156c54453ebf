//! The simulation loop and the context handed to components.

use super::queue::EventQueue;
use super::time::SimTime;

/// The index of a component inside a [`Simulation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentId(pub u32);

/// A part of the simulated system that reacts to the events addressed to it.
pub trait Component<M, S> {
    /// Handles one message; may schedule more through `ctx`.
    fn on_event(&mut self, msg: M, ctx: &mut Ctx<'_, M, S>);

    /// Called once at time zero, before any event, so the component can set its first timers.
    fn on_start(&mut self, _ctx: &mut Ctx<'_, M, S>) {}

    /// Called once when the run ends, so the component can report its statistics.
    fn on_finish(&mut self, _ctx: &mut Ctx<'_, M, S>) {}
}

/// What a component sees while it handles an event.
pub struct Ctx<'a, M, S> {
    now: SimTime,
    me: ComponentId,
    queue: &'a mut EventQueue<M>,
    /// State shared by all components (request records, metrics): the model's own.
    pub shared: &'a mut S,
}

impl<M, S> Ctx<'_, M, S> {
    /// Returns the current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Returns the id of the component handling the event.
    pub fn me(&self) -> ComponentId {
        self.me
    }

    /// Sends `msg` to `target` after `delay`.
    pub fn send(&mut self, target: ComponentId, delay: SimTime, msg: M) {
        let at = self.now + delay;
        self.queue.push(self.now, at, target.0, msg);
    }

    /// Sends `msg` to `target` after `delay`, as a late event: handled after
    /// every other event due at the same instant, and after the late events
    /// sent before it for that instant.
    ///
    /// Meant for a source of new work that schedules its messages ahead, in
    /// time order: each then costs O(1), and at a tie the system finishes
    /// what it was doing before the new work comes in.
    pub fn send_late(&mut self, target: ComponentId, delay: SimTime, msg: M) {
        self.queue.push_late(self.now + delay, target.0, msg);
    }

    /// Sends `msg` to the handling component itself after `delay` (a timer).
    pub fn schedule_self(&mut self, delay: SimTime, msg: M) {
        let me = self.me;
        self.send(me, delay, msg);
    }
}

impl<M, S> Component<M, S> for Box<dyn Component<M, S>> {
    fn on_event(&mut self, msg: M, ctx: &mut Ctx<'_, M, S>) {
        self.as_mut().on_event(msg, ctx);
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, M, S>) {
        self.as_mut().on_start(ctx);
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_, M, S>) {
        self.as_mut().on_finish(ctx);
    }
}

/// Why [`Simulation::run_batch`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchEnd {
    /// It handled as many events as it was allowed to.
    Limit,
    /// The caller's `stop` said so.
    Stopped,
    /// No event is due at or before the horizon.
    Idle,
}

/// A set of components of type `C` and the events between them.
///
/// `C` is any component: a boxed trait object (the default) when components
/// of any type mix, or a model's own enum of its component types, which the
/// engine then calls through a `match` the compiler can inline rather than
/// through a pointer.
pub struct Simulation<M, S, C = Box<dyn Component<M, S>>> {
    components: Vec<C>,
    queue: EventQueue<M>,
    now: SimTime,
    events: u64,
    /// State shared by all components.
    pub shared: S,
}

impl<M, S, C: Component<M, S>> Simulation<M, S, C> {
    /// Creates an empty simulation around the model's shared state.
    pub fn new(shared: S) -> Self {
        Self {
            components: Vec::new(),
            queue: EventQueue::default(),
            now: SimTime::ZERO,
            events: 0,
            shared,
        }
    }

    /// Adds a component and returns its id (ids are dense, in insertion order).
    pub fn add(&mut self, component: C) -> ComponentId {
        let id = ComponentId(self.components.len() as u32);
        self.components.push(component);
        id
    }

    /// Returns the id the next added component will get.
    pub fn next_id(&self) -> ComponentId {
        ComponentId(self.components.len() as u32)
    }

    /// Schedules `msg` for `target` at absolute time `at` (used to seed the run).
    pub fn schedule(&mut self, at: SimTime, target: ComponentId, msg: M) {
        self.queue.push(self.now, at.max(self.now), target.0, msg);
    }

    /// Returns the current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Returns the number of events handled so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Returns the components, in id order.
    pub fn components(&self) -> &[C] {
        &self.components
    }

    /// Returns the number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Handles the next event if it is due no later than `until`; returns false otherwise.
    pub fn step(&mut self, until: SimTime) -> bool {
        let Some(event) = self.queue.pop() else {
            return false;
        };
        if event.time > until {
            // Rare (once per horizon): cheaper than peeking before every pop.
            self.queue.restore(event);
            return false;
        }
        debug_assert!(event.time >= self.now, "time went backwards");
        self.now = event.time;
        self.events += 1;
        let index = event.target as usize;
        let Some(component) = self.components.get_mut(index) else {
            return true;
        };
        let mut ctx = Ctx {
            now: self.now,
            me: ComponentId(event.target),
            queue: &mut self.queue,
            shared: &mut self.shared,
        };
        component.on_event(event.msg, &mut ctx);
        true
    }

    /// Handles events until none is due at or before `until`, or `stop` says so.
    pub fn run_until(&mut self, until: SimTime, stop: impl FnMut(&S) -> bool) {
        self.run_batch(until, u64::MAX, stop);
    }

    /// Handles at most `limit` events, stopping early when none is due at or
    /// before `until` or when `stop`, asked before each event, says so.
    ///
    /// A caller that must look at the run now and then (a wall-clock limit, a
    /// cancel flag) calls this in batches, so that the loop over the events
    /// of a batch does nothing else.
    #[inline]
    pub fn run_batch(
        &mut self,
        until: SimTime,
        limit: u64,
        mut stop: impl FnMut(&S) -> bool,
    ) -> BatchEnd {
        for _ in 0..limit {
            if stop(&self.shared) {
                return BatchEnd::Stopped;
            }
            if !self.step(until) {
                return BatchEnd::Idle;
            }
        }
        BatchEnd::Limit
    }

    /// Calls every component's `on_start`, in id order.
    pub fn start(&mut self) {
        self.for_each_component(|c, ctx| c.on_start(ctx));
    }

    /// Calls every component's `on_finish` at the current time, in id order.
    pub fn finish(&mut self) {
        self.for_each_component(|c, ctx| c.on_finish(ctx));
    }

    fn for_each_component(&mut self, mut f: impl FnMut(&mut C, &mut Ctx<'_, M, S>)) {
        for (index, component) in self.components.iter_mut().enumerate() {
            let mut ctx = Ctx {
                now: self.now,
                me: ComponentId(index as u32),
                queue: &mut self.queue,
                shared: &mut self.shared,
            };
            f(component, &mut ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bounces a counter between two components, one time unit apart.
    struct Ping {
        peer: ComponentId,
    }
    impl Component<u32, Vec<(u64, u32)>> for Ping {
        fn on_event(&mut self, msg: u32, ctx: &mut Ctx<'_, u32, Vec<(u64, u32)>>) {
            let now = ctx.now().0;
            ctx.shared.push((now, msg));
            if msg < 5 {
                ctx.send(self.peer, SimTime(1), msg + 1);
            }
        }
    }

    /// Two pings bouncing a counter, the first message due at time zero.
    fn ping_pair() -> Simulation<u32, Vec<(u64, u32)>> {
        let mut sim = Simulation::new(Vec::new());
        let a = sim.add(Box::new(Ping {
            peer: ComponentId(1),
        }) as Box<dyn Component<u32, Vec<(u64, u32)>>>);
        sim.add(Box::new(Ping { peer: a }));
        sim.schedule(SimTime(0), a, 0);
        sim
    }

    #[test]
    fn messages_flow_in_time_order_and_stop_at_the_horizon() {
        let mut sim = ping_pair();
        sim.run_until(SimTime(3), |_| false);
        assert_eq!(sim.shared, vec![(0, 0), (1, 1), (2, 2), (3, 3)]);
        assert_eq!(sim.events(), 4);
        assert_eq!(sim.pending(), 1);
    }

    #[test]
    fn a_batch_ends_at_its_limit_at_the_callers_stop_or_when_nothing_is_due() {
        let mut sim = ping_pair();
        assert_eq!(sim.run_batch(SimTime(10), 2, |_| false), BatchEnd::Limit);
        assert_eq!(sim.events(), 2);
        let stop = |seen: &Vec<(u64, u32)>| seen.len() == 3;
        assert_eq!(sim.run_batch(SimTime(10), 10, stop), BatchEnd::Stopped);
        assert_eq!(sim.events(), 3);
        assert_eq!(sim.run_batch(SimTime(10), 10, |_| false), BatchEnd::Idle);
        assert_eq!(sim.events(), 6);
        assert_eq!(sim.shared.last(), Some(&(5, 5)));
    }
}
