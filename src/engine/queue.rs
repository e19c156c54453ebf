//! The future-event list, ordered by `(time, sequence)`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use slab::Slab;

use super::time::SimTime;

/// One scheduled event: a message for a component at a time.
#[derive(Debug)]
pub struct Event<M> {
    /// When the event happens.
    pub time: SimTime,
    /// Insertion order, the tie-breaker that makes equal times deterministic.
    pub seq: u64,
    /// Index of the component the message is addressed to.
    pub target: u32,
    /// The message itself.
    pub msg: M,
}

impl<M> PartialEq for Event<M> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<M> Eq for Event<M> {}
impl<M> PartialOrd for Event<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Event<M> {
    // Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// The place of one event in the heap: its order key, its target, and where
/// its message waits.
///
/// The heap moves these 24-byte keys on every sift, not the whole events: a
/// message stays where it was put until its turn comes. The target rides in
/// the key's padding, so that the slab holds bare messages, which the compiler
/// moves out in aligned pieces (a slab of `(target, message)` pairs made it
/// copy them through the stack at odd offsets, and the read back stalled).
#[derive(Debug, PartialEq, Eq)]
struct Key {
    time: SimTime,
    seq: u64,
    slot: u32,
    target: u32,
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Key {
    /// Returns `(time, seq)` as one number, so that ordering keys is one
    /// branch-free comparison of two 128-bit integers.
    #[inline]
    fn order(&self) -> u128 {
        (u128::from(self.time.0) << 64) | u128::from(self.seq)
    }
}

impl Ord for Key {
    // Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.order().cmp(&self.order())
    }
}

/// Pending events in `(time, seq)` order.
///
/// Events scheduled for the current instant (zero delay) skip the heap and go to a
/// FIFO: they necessarily have larger sequence numbers than anything already in the
/// heap for the same instant, so serving heap events at `now` first and then the
/// FIFO keeps the exact `(time, seq)` order while saving a heap push and pop for
/// the many zero-latency hops of a model.
#[derive(Debug)]
pub struct EventQueue<M> {
    heap: BinaryHeap<Key>,
    /// The message of each event in the heap, by slot.
    payloads: Slab<M>,
    immediate: VecDeque<Event<M>>,
    next_seq: u64,
}

impl<M> Default for EventQueue<M> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            payloads: Slab::new(),
            immediate: VecDeque::new(),
            next_seq: 0,
        }
    }
}

impl<M> EventQueue<M> {
    /// Schedules `msg` for `target` at `time`; `now` is the current simulated time.
    #[inline]
    pub fn push(&mut self, now: SimTime, time: SimTime, target: u32, msg: M) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if time == now {
            self.immediate.push_back(Event {
                time,
                seq,
                target,
                msg,
            });
        } else {
            self.push_heap(time, seq, target, msg);
        }
    }

    fn push_heap(&mut self, time: SimTime, seq: u64, target: u32, msg: M) {
        let slot = self.payloads.insert(msg) as u32;
        self.heap.push(Key {
            time,
            seq,
            slot,
            target,
        });
    }

    /// Puts back an event just taken by [`EventQueue::pop`], keeping its place.
    pub fn restore(&mut self, event: Event<M>) {
        // Its (time, seq) is still the smallest, so the heap returns it first.
        self.push_heap(event.time, event.seq, event.target, event.msg);
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<Event<M>> {
        match (self.immediate.front(), self.heap.peek()) {
            (Some(first), Some(top)) if top.time <= first.time => self.pop_heap(),
            (Some(_), _) => self.immediate.pop_front(),
            (None, _) => self.pop_heap(),
        }
    }

    fn pop_heap(&mut self) -> Option<Event<M>> {
        let key = self.heap.pop()?;
        let msg = self.payloads.try_remove(key.slot as usize)?;
        Some(Event {
            time: key.time,
            seq: key.seq,
            target: key.target,
            msg,
        })
    }

    /// Returns the time of the earliest event without removing it.
    pub fn peek_time(&self) -> Option<SimTime> {
        match (self.immediate.front(), self.heap.peek()) {
            (Some(first), Some(top)) => Some(first.time.min(top.time)),
            (Some(first), None) => Some(first.time),
            (None, Some(top)) => Some(top.time),
            (None, None) => None,
        }
    }

    /// Returns the number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + self.immediate.len()
    }

    /// Returns true when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::default();
        q.push(SimTime(0), SimTime(5), 0, "late");
        q.push(SimTime(0), SimTime(1), 0, "first at 1");
        q.push(SimTime(0), SimTime(1), 0, "second at 1");
        q.push(SimTime(0), SimTime(0), 0, "now");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|e| e.msg)).collect();
        assert_eq!(order, ["now", "first at 1", "second at 1", "late"]);
    }

    #[test]
    fn heap_events_at_now_precede_immediate_ones() {
        let mut q = EventQueue::default();
        q.push(SimTime(0), SimTime(3), 0, "scheduled earlier for 3");
        let e = q.pop().unwrap();
        assert_eq!(e.msg, "scheduled earlier for 3");
        q.push(SimTime(0), SimTime(3), 0, "also for 3, from heap");
        // Now the clock is at 3 and a zero-delay event is added.
        q.push(SimTime(3), SimTime(3), 0, "zero delay at 3");
        assert_eq!(q.pop().unwrap().msg, "also for 3, from heap");
        assert_eq!(q.pop().unwrap().msg, "zero delay at 3");
        assert!(q.is_empty());
    }
}
