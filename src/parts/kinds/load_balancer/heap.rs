//! An indexed binary min-heap: the item with the smallest key in O(1), a key
//! change in O(log n). Balancing strategies use it so that choosing among
//! 10,000 replicas never scans them all.

/// A min-heap over items `0..n`, each with a key that can change.
#[derive(Clone, Debug)]
pub struct IndexedMinHeap<K> {
    keys: Vec<K>,
    /// Items in heap order.
    heap: Vec<u32>,
    /// Position of each item in `heap`.
    pos: Vec<u32>,
}

impl<K: Ord + Copy> IndexedMinHeap<K> {
    /// Creates a heap over items `0..keys.len()` with the given keys.
    pub fn new(keys: Vec<K>) -> Self {
        let n = keys.len() as u32;
        let mut heap = Self {
            keys,
            heap: (0..n).collect(),
            pos: (0..n).collect(),
        };
        for i in (0..heap.heap.len() / 2).rev() {
            heap.sift_down(i);
        }
        heap
    }

    /// Returns the number of items.
    pub fn len(&self) -> u32 {
        self.keys.len() as u32
    }

    /// Returns the item with the smallest key (the heap must not be empty).
    #[inline]
    pub fn min(&self) -> u32 {
        self.heap[0]
    }

    /// Returns the key of `item`.
    #[inline]
    pub fn key(&self, item: u32) -> K {
        self.keys[item as usize]
    }

    /// Changes the key of `item`.
    #[inline]
    pub fn update(&mut self, item: u32, key: K) {
        let old = std::mem::replace(&mut self.keys[item as usize], key);
        let at = self.pos[item as usize] as usize;
        if key < old {
            self.sift_up(at);
        } else {
            self.sift_down(at);
        }
    }

    fn less(&self, a: usize, b: usize) -> bool {
        self.keys[self.heap[a] as usize] < self.keys[self.heap[b] as usize]
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.pos[self.heap[a] as usize] = a as u32;
        self.pos[self.heap[b] as usize] = b as u32;
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if !self.less(at, parent) {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        let n = self.heap.len();
        loop {
            let (left, right) = (2 * at + 1, 2 * at + 2);
            let mut smallest = at;
            if left < n && self.less(left, smallest) {
                smallest = left;
            }
            if right < n && self.less(right, smallest) {
                smallest = right;
            }
            if smallest == at {
                break;
            }
            self.swap(at, smallest);
            at = smallest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn min_is_always_the_smallest_key(
            keys in proptest::collection::vec(0u32..50, 1..40),
            updates in proptest::collection::vec((0usize..40, 0u32..50), 0..100),
        ) {
            let mut model = keys.clone();
            let mut heap = IndexedMinHeap::new(keys.iter().enumerate().map(|(i, &k)| (k, i)).collect());
            for (item, key) in updates {
                let item = item % model.len();
                model[item] = key;
                heap.update(item as u32, (key, item));
                let min = heap.min() as usize;
                let expected = model.iter().enumerate().min_by_key(|&(i, &k)| (k, i)).map(|(i, _)| i);
                prop_assert_eq!(Some(min), expected);
            }
        }
    }
}
