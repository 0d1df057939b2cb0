//! A list that stays on the stack while short.

/// A list held in an array while it has at most `N` items and on the heap beyond, so that the
/// signing path lists headers and query parameters without an allocation per request.
pub(crate) struct StackList<T, const N: usize> {
    stack: [T; N],
    len: usize,
    heap: Vec<T>,
}

impl<T: Default, const N: usize> StackList<T, N> {
    #[inline]
    pub(crate) fn new() -> Self {
        StackList {
            stack: std::array::from_fn(|_| T::default()),
            len: 0,
            heap: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        if self.heap.is_empty() {
            if let Some(slot) = self.stack.get_mut(self.len) {
                *slot = item;
                self.len += 1;
                return;
            }
            self.heap.reserve(N * 2);
            self.heap.extend(self.stack.iter_mut().map(std::mem::take));
        }
        self.heap.push(item);
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        if self.heap.is_empty() {
            &self.stack[..self.len]
        } else {
            &self.heap
        }
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        if self.heap.is_empty() {
            &mut self.stack[..self.len]
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
