//! A list that stays on the stack while short.

use arrayvec::ArrayVec;

/// A list held in an array while it has at most `N` items and on the heap beyond, so that the
/// signing path lists headers and query parameters without an allocation per request.
///
/// The array is an [`ArrayVec`]: a slot is written only when an item is pushed to it. A plain
/// `[T; N]` must be filled with placeholders first: a store for every slot on every call, for
/// lists that mostly hold two to five items (see BENCHMARKS.md, "Placeholder fills").
pub(crate) struct StackList<T, const N: usize> {
    stack: ArrayVec<T, N>,
    heap: Vec<T>,
}

impl<T, const N: usize> StackList<T, N> {
    #[inline]
    pub(crate) fn new() -> Self {
        StackList {
            stack: ArrayVec::new(),
            heap: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        if !self.heap.is_empty() {
            self.heap.push(item);
        } else if let Err(full) = self.stack.try_push(item) {
            self.heap.reserve(N * 2);
            self.heap.extend(self.stack.drain(..));
            self.heap.push(full.element());
        }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        if self.heap.is_empty() {
            &self.stack
        } else {
            &self.heap
        }
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        if self.heap.is_empty() {
            &mut self.stack
        } else {
            &mut self.heap
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spills_to_the_heap_in_order() {
        let mut list: StackList<u32, 3> = StackList::new();
        assert!(list.as_slice().is_empty());
        for i in 0..3 {
            list.push(i);
        }
        assert_eq!(list.as_slice(), [0, 1, 2]);
        list.push(3);
        list.push(4);
        assert_eq!(list.as_slice(), [0, 1, 2, 3, 4]);
        list.as_mut_slice().reverse();
        assert_eq!(list.as_slice(), [4, 3, 2, 1, 0]);
    }
}
