//! The future-event list, ordered by `(time, sequence)`, with late events
//! last at their instant.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use slab::Slab;

use super::time::SimTime;

/// One scheduled event: a message for a component at a time.
#[derive(Debug)]
pub struct Event<M> {
    /// When the event happens.
    pub time: SimTime,
    /// Index of the component the message is addressed to.
    pub target: u32,
    /// The message itself.
    pub msg: M,
    /// Where it waited, kept so that [`EventQueue::restore`] can put it back
    /// in its place.
    place: Place,
}

/// Where an event waited in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// The heap, with its sequence number.
    Heap(u32),
    /// The FIFO of zero-delay events.
    Immediate,
    /// The lane of late events.
    Late,
}

/// A message and the component it is addressed to, while it waits its turn.
#[derive(Debug)]
struct Parcel<M> {
    msg: M,
    target: u32,
}

/// The place of one event in the heap: `time << 64 | seq << 32 | slot`.
///
/// Ordered as one 128-bit number: by time, then by insertion sequence (the
/// slot, in the low bits, never decides since sequences are unique). At 16
/// bytes a key moves in one vector register; 24-byte keys were copied in
/// pieces that the processor could not forward to the next read, and the heap
/// stalled on every sift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key(u128);

impl Key {
    fn new(time: SimTime, seq: u32, slot: u32) -> Self {
        Self((u128::from(time.0) << 64) | (u128::from(seq) << 32) | u128::from(slot))
    }

    fn time(self) -> SimTime {
        SimTime((self.0 >> 64) as u64)
    }

    fn seq(self) -> u32 {
        (self.0 >> 32) as u32
    }

    fn slot(self) -> usize {
        self.0 as u32 as usize
    }

    fn with_seq(self, seq: u32) -> Self {
        Self::new(self.time(), seq, self.slot() as u32)
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    // Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.cmp(&self.0)
    }
}

/// Pending events in `(time, seq)` order.
///
/// Events scheduled for the current instant (zero delay) skip the heap and go to a
/// FIFO: they necessarily come after anything already in the heap for the same
/// instant, so serving heap events at `now` first and then the FIFO keeps the
/// exact `(time, seq)` order while saving a heap push and pop for the many
/// zero-latency hops of a model.
///
/// Late events ([`EventQueue::push_late`]) come after every other event due
/// at the same instant. They wait in a lane of their own, sorted by time and,
/// at equal times, in the order they were pushed: pushed in time order, as a
/// source of new work pushes them, each costs O(1) instead of a heap sift, and
/// the heap stays as small as the work in progress.
///
/// Sequence numbers are 32 bits, to keep keys at 16 bytes. When they run out
/// (every four billion events scheduled), the pending events are renumbered
/// from zero in their order, which keeps every tie-break as it was.
#[derive(Debug)]
pub struct EventQueue<M> {
    heap: BinaryHeap<Key>,
    /// The message of each event in the heap, by slot.
    payloads: Slab<Parcel<M>>,
    /// Late events, by time, then in the order pushed.
    late: VecDeque<(SimTime, Parcel<M>)>,
    immediate: VecDeque<Parcel<M>>,
    /// The time of every event in `immediate`: the current instant.
    immediate_time: SimTime,
    next_seq: u32,
}

impl<M> Default for EventQueue<M> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            payloads: Slab::new(),
            late: VecDeque::new(),
            immediate: VecDeque::new(),
            immediate_time: SimTime::ZERO,
            next_seq: 0,
        }
    }
}

impl<M> EventQueue<M> {
    /// Schedules `msg` for `target` at `time`; `now` is the current simulated time.
    #[inline(always)]
    pub fn push(&mut self, now: SimTime, time: SimTime, target: u32, msg: M) {
        if time == now {
            self.immediate_time = now;
            self.immediate.push_back(Parcel { msg, target });
        } else {
            self.push_heap(time, target, msg);
        }
    }

    #[inline]
    fn push_heap(&mut self, time: SimTime, target: u32, msg: M) {
        if self.next_seq == u32::MAX {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        // Slots fit in 32 bits: four billion pending events would not fit in memory.
        let slot = self.payloads.insert(Parcel { msg, target }) as u32;
        self.heap.push(Key::new(time, seq, slot));
    }

    /// Schedules `msg` for `target` at `time` as a late event: after every
    /// other event due at `time`, and after the late events pushed before it
    /// for the same time. O(1) when pushed in time order.
    #[inline(always)]
    pub fn push_late(&mut self, time: SimTime, target: u32, msg: M) {
        let parcel = Parcel { msg, target };
        if self.late.back().is_none_or(|(last, _)| *last <= time) {
            self.late.push_back((time, parcel));
        } else {
            let at = self.late.partition_point(|(t, _)| *t <= time);
            self.late.insert(at, (time, parcel));
        }
    }

    /// Gives the pending events the sequence numbers `0..n` in their order.
    #[cold]
    fn renumber(&mut self) {
        let mut keys = std::mem::take(&mut self.heap).into_sorted_vec();
        // Sorted by the reversed order: the last event first.
        keys.reverse();
        for (seq, key) in keys.iter_mut().enumerate() {
            *key = key.with_seq(seq as u32);
        }
        self.next_seq = keys.len() as u32;
        self.heap = BinaryHeap::from(keys);
    }

    /// Puts back an event just taken by [`EventQueue::pop`], keeping its place.
    pub fn restore(&mut self, event: Event<M>) {
        let parcel = Parcel {
            msg: event.msg,
            target: event.target,
        };
        match event.place {
            // Its key is still the smallest, so the heap returns it first.
            Place::Heap(seq) => {
                let slot = self.payloads.insert(parcel);
                self.heap.push(Key::new(event.time, seq, slot as u32));
            }
            Place::Immediate => self.immediate.push_front(parcel),
            Place::Late => self.late.push_front((event.time, parcel)),
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<Event<M>> {
        let heap_time = self.heap.peek().map(|top| top.time());
        if !self.immediate.is_empty() {
            // Heap events due now were scheduled before the zero-delay ones,
            // so they go first; late events wait for both.
            let heap_first = heap_time.is_some_and(|t| t <= self.immediate_time);
            return if heap_first {
                self.pop_heap()
            } else {
                self.pop_immediate()
            };
        }
        let late_first = self
            .late
            .front()
            .is_some_and(|(t, _)| heap_time.is_none_or(|h| *t < h));
        if late_first {
            self.pop_late()
        } else {
            self.pop_heap()
        }
    }

    #[inline]
    fn pop_immediate(&mut self) -> Option<Event<M>> {
        let parcel = self.immediate.pop_front()?;
        Some(Event {
            time: self.immediate_time,
            target: parcel.target,
            msg: parcel.msg,
            place: Place::Immediate,
        })
    }

    #[inline]
    fn pop_late(&mut self) -> Option<Event<M>> {
        let (time, parcel) = self.late.pop_front()?;
        Some(Event {
            time,
            target: parcel.target,
            msg: parcel.msg,
            place: Place::Late,
        })
    }

    #[inline]
    fn pop_heap(&mut self) -> Option<Event<M>> {
        let key = self.heap.pop()?;
        let parcel = self.payloads.try_remove(key.slot())?;
        Some(Event {
            time: key.time(),
            target: parcel.target,
            msg: parcel.msg,
            place: Place::Heap(key.seq()),
        })
    }

    /// Returns the time of the earliest event without removing it.
    pub fn peek_time(&self) -> Option<SimTime> {
        let heap = self.heap.peek().map(|k| k.time());
        let late = self.late.front().map(|(t, _)| *t);
        let immediate = (!self.immediate.is_empty()).then_some(self.immediate_time);
        [heap, late, immediate].into_iter().flatten().min()
    }

    /// Returns the number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + self.late.len() + self.immediate.len()
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
    fn running_out_of_sequence_numbers_keeps_the_order() {
        let mut q = EventQueue {
            next_seq: u32::MAX - 3,
            ..EventQueue::default()
        };
        for (i, time) in [7, 5, 7, 5, 7, 5, 9, 7].into_iter().enumerate() {
            q.push(SimTime(0), SimTime(time), 0, (time, i));
        }
        // Renumbered once on the way: eight events in all, numbered from zero.
        assert!(q.next_seq < 16);
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|e| e.msg)).collect();
        let mut expected = order.clone();
        expected.sort();
        assert_eq!(order, expected, "by time, then in the order pushed");
        assert_eq!(order.len(), 8);
    }

    #[test]
    fn an_event_put_back_comes_out_first_again() {
        let mut q = EventQueue::default();
        q.push(SimTime(0), SimTime(4), 1, "a");
        q.push(SimTime(0), SimTime(4), 2, "b");
        let first = q.pop().unwrap();
        assert_eq!((first.time, first.target, first.msg), (SimTime(4), 1, "a"));
        q.restore(first);
        q.push(SimTime(0), SimTime(4), 3, "c");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|e| e.msg)).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }

    #[test]
    fn late_events_come_last_at_their_instant_in_the_order_pushed() {
        let mut q = EventQueue::default();
        q.push_late(SimTime(5), 0, "late at 5, first");
        q.push_late(SimTime(9), 0, "late at 9");
        // Out of time order: sorted in, after the late event already at 5.
        q.push_late(SimTime(5), 0, "late at 5, second");
        q.push(SimTime(0), SimTime(5), 0, "heap at 5, pushed after");
        q.push(SimTime(0), SimTime(7), 0, "heap at 7");
        let first = q.pop().unwrap();
        assert_eq!(first.msg, "heap at 5, pushed after");
        // Handling it at 5 sends a zero-delay message: still before the late ones.
        q.push(SimTime(5), SimTime(5), 0, "zero delay at 5");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|e| e.msg)).collect();
        assert_eq!(
            order,
            [
                "zero delay at 5",
                "late at 5, first",
                "late at 5, second",
                "heap at 7",
                "late at 9"
            ]
        );
    }

    #[test]
    fn a_late_event_put_back_comes_out_first_again() {
        let mut q = EventQueue::default();
        q.push_late(SimTime(3), 1, "a");
        q.push_late(SimTime(3), 2, "b");
        assert_eq!(q.peek_time(), Some(SimTime(3)));
        assert_eq!(q.len(), 2);
        let first = q.pop().unwrap();
        q.restore(first);
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|e| (e.target, e.msg))).collect();
        assert_eq!(order, [(1, "a"), (2, "b")]);
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
