//! An intrusive doubly linked list over slot numbers: O(1) insertion at the
//! front, unlinking anywhere and reading the back, with two `u32` per slot.

/// The "no slot" link.
const NIL: u32 = u32::MAX;

/// Slots in order, most recent at the front.
#[derive(Clone, Debug)]
pub struct SlotList {
    prev: Vec<u32>,
    next: Vec<u32>,
    /// Whether each slot is currently linked.
    linked: Vec<bool>,
    head: u32,
    tail: u32,
}

impl Default for SlotList {
    fn default() -> Self {
        Self {
            prev: Vec::new(),
            next: Vec::new(),
            linked: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }
}

impl SlotList {
    /// Makes room for `slot` in the link arrays.
    fn ensure(&mut self, slot: u32) {
        let needed = slot as usize + 1;
        if self.prev.len() < needed {
            self.prev.resize(needed, NIL);
            self.next.resize(needed, NIL);
            self.linked.resize(needed, false);
        }
    }

    /// Puts `slot` at the front (unlinking it first if it is linked).
    pub fn push_front(&mut self, slot: u32) {
        self.ensure(slot);
        self.unlink(slot);
        let s = slot as usize;
        self.prev[s] = NIL;
        self.next[s] = self.head;
        if self.head != NIL {
            self.prev[self.head as usize] = slot;
        } else {
            self.tail = slot;
        }
        self.head = slot;
        self.linked[s] = true;
    }

    /// Takes `slot` out of the list; does nothing if it is not linked.
    pub fn unlink(&mut self, slot: u32) {
        let s = slot as usize;
        if !self.linked.get(s).copied().unwrap_or(false) {
            return;
        }
        let (p, n) = (self.prev[s], self.next[s]);
        if p != NIL {
            self.next[p as usize] = n;
        } else {
            self.head = n;
        }
        if n != NIL {
            self.prev[n as usize] = p;
        } else {
            self.tail = p;
        }
        self.linked[s] = false;
    }

    /// Returns the slot at the back (the least recent), if any.
    pub fn back(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_through_moves_and_removals() {
        let mut list = SlotList::default();
        for slot in [0, 1, 2, 3] {
            list.push_front(slot);
        }
        assert_eq!(list.back(), Some(0));
        list.push_front(0); // 0 becomes the most recent
        assert_eq!(list.back(), Some(1));
        list.unlink(1);
        list.unlink(1); // twice is harmless
        assert_eq!(list.back(), Some(2));
        list.unlink(2);
        list.unlink(3);
        assert_eq!(list.back(), Some(0));
        list.unlink(0);
        assert_eq!(list.back(), None);
    }
}
