//! The set of (caisse, record id) keys seen so far in a table, for the duplicate check.
//!
//! Keys arrive as 128-bit xxh3 hashes, computed in parallel with the row rules; only the
//! inserts are sequential, because the first occurrence in path order is the one kept
//! (the data contract (`docs/contract.md`): duplicates of a record id within a caisse are rejected).
//!
//! At 50 M claims the set is about 1 GB, and every insert lands on a random cache line and
//! page: with a general-purpose map (hashbrown) an insert cost ~340 ns, almost all of it
//! waiting for memory, and the inserts were 28 % of a claims run's CPU (docs/performance.md).
//! This set is an open-addressing table of the hashes themselves (linear probing; 0 marks an
//! empty slot) whose batch insert *prefetches* the slot of the key a few rows ahead, so that
//! the memory accesses of several inserts overlap instead of following one another. Its memory
//! is asked for transparent huge pages, which removes most TLB misses on Linux.

/// Fill ratio beyond which the table doubles: 13/16 keeps linear probes short.
const MAX_LOAD_NUMERATOR: usize = 13;
const MAX_LOAD_DENOMINATOR: usize = 16;
/// How many keys ahead the batch insert prefetches.
const PREFETCH_AHEAD: usize = 12;

/// A set of non-zero 128-bit hashes.
#[derive(Debug, Default)]
pub struct IdSet {
    /// Any number of slots (a key's home slot is found by multiplication, not masking, so the
    /// table is sized to the rows, not rounded up to a power of two); 0 is an empty slot.
    slots: Vec<u128>,
    len: usize,
}

impl IdSet {
    /// A set that holds `keys` keys without growing.
    pub fn with_capacity(keys: usize) -> Self {
        let mut set = Self::default();
        set.allocate(Self::slots_for(keys));
        set
    }

    /// Bytes of a set built [`IdSet::with_capacity`]`(keys)`.
    pub fn bytes_for(keys: usize) -> usize {
        Self::slots_for(keys) * std::mem::size_of::<u128>()
    }

    fn slots_for(keys: usize) -> usize {
        (keys.saturating_mul(MAX_LOAD_DENOMINATOR) / MAX_LOAD_NUMERATOR + 1).max(1024)
    }

    fn allocate(&mut self, slots: usize) {
        self.slots = vec![0u128; slots];
        advise_huge_pages(&self.slots);
    }

    /// Keys in the set.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// Bytes held by the table.
    pub fn allocated_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<u128>()
    }

    /// Inserts `key`; false if it was already there.
    pub fn insert(&mut self, key: u128) -> bool {
        if (self.len + 1) * MAX_LOAD_DENOMINATOR > self.slots.len() * MAX_LOAD_NUMERATOR {
            self.grow();
        }
        let key = non_zero(key);
        let mut i = home(key, self.slots.len());
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                self.slots[i] = key;
                self.len += 1;
                return true;
            }
            if slot == key {
                return false;
            }
            i += 1;
            if i == self.slots.len() {
                i = 0;
            }
        }
    }

    /// Inserts the keys of `rows` (row numbers into `keys`) in order, and returns those that
    /// were already in the set — including a key repeated within `rows`, whose later
    /// occurrences are returned.
    pub fn insert_rows(&mut self, keys: &[u128], rows: &[usize]) -> Vec<usize> {
        let needed = self.len + rows.len();
        if needed * MAX_LOAD_DENOMINATOR > self.slots.len() * MAX_LOAD_NUMERATOR {
            let slots = Self::slots_for(needed);
            self.rehash(slots);
        }
        let mut repeated = Vec::new();
        for (n, &row) in rows.iter().enumerate() {
            if let Some(&ahead) = rows.get(n + PREFETCH_AHEAD) {
                prefetch(&self.slots[home(non_zero(keys[ahead]), self.slots.len())]);
            }
            if !self.insert(keys[row]) {
                repeated.push(row);
            }
        }
        repeated
    }

    fn grow(&mut self) {
        self.rehash(self.slots.len() * 2);
    }

    fn rehash(&mut self, slots: usize) {
        let old = std::mem::take(&mut self.slots);
        self.allocate(slots);
        self.len = 0;
        for key in old.into_iter().filter(|&k| k != 0) {
            self.insert(key);
        }
    }
}

/// The first slot probed for `key` among `slots`: the low 64 bits scaled to the table
/// (Lemire's multiply-shift, uniform for a uniform hash, no division).
fn home(key: u128, slots: usize) -> usize {
    ((u128::from(key as u64) * slots as u128) >> 64) as usize
}

/// 0 marks an empty slot, so a hash of 0 is stored as 1: it merges two of 2^128 values.
fn non_zero(key: u128) -> u128 {
    key.max(1)
}

#[cfg(target_arch = "x86_64")]
fn prefetch(slot: &u128) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is a hint: it never faults and has no effect on program state, and
    // the address comes from a live reference.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(slot).cast::<i8>()) }
}

#[cfg(not(target_arch = "x86_64"))]
fn prefetch(_slot: &u128) {}

/// Asks Linux for transparent huge pages on the table (a no-op where THP is off or elsewhere).
#[cfg(target_os = "linux")]
fn advise_huge_pages(slots: &[u128]) {
    const HUGE: usize = 2 << 20;
    let start = slots.as_ptr() as usize;
    let end = start + std::mem::size_of_val(slots);
    let aligned = start.next_multiple_of(HUGE);
    if aligned + HUGE <= end {
        let length = (end - aligned) / HUGE * HUGE;
        // SAFETY: the range lies inside the live allocation; MADV_HUGEPAGE only changes how
        // the kernel backs it, never its contents. Failure (THP disabled) is harmless.
        unsafe {
            libc::madvise(aligned as *mut libc::c_void, length, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_slots: &[u128]) {}

#[cfg(test)]
mod tests {
    use super::IdSet;

    #[test]
    fn keeps_first_occurrences_and_reports_later_ones() {
        let mut set = IdSet::with_capacity(4);
        let keys = [7u128, 9, 7, 0, 1, 9, 3];
        // Rows 1 and 4 are left out (rejected earlier by another rule).
        let repeated = set.insert_rows(&keys, &[0, 2, 3, 5, 6]);
        // 7 again at row 2; the 0 at row 3 is stored as 1 and is new; 9 at row 5 is new since
        // row 1 was not inserted.
        assert_eq!(repeated, vec![2]);
        assert_eq!(set.len(), 4);
        assert_eq!(
            set.insert_rows(&keys, &[1, 4]),
            vec![1, 4],
            "9 and 1 (= 0) now seen"
        );
    }

    #[test]
    fn grows_past_its_capacity_without_losing_keys() {
        let mut set = IdSet::with_capacity(10);
        let keys: Vec<u128> = (0..100_000u128)
            .map(|i| xxhash_rust::xxh3::xxh3_128(&i.to_le_bytes()))
            .collect();
        let rows: Vec<usize> = (0..keys.len()).collect();
        for chunk in rows.chunks(7_000) {
            assert!(set.insert_rows(&keys, chunk).is_empty());
        }
        assert_eq!(set.len(), 100_000);
        assert!(set.allocated_bytes() >= 100_000 * 16);
        // Every key is found again, also one at a time.
        assert_eq!(set.insert_rows(&keys, &rows).len(), 100_000);
        assert!(!set.insert(keys[99_999]));
        assert!(set.insert(u128::MAX));
    }

    #[test]
    fn colliding_slots_are_probed_linearly() {
        // Keys with the same low 64 bits have the same home slot; the last slot wraps to 0.
        let mut set = IdSet::with_capacity(1);
        let keys: Vec<u128> = (1..=50).map(|i| u128::from(u64::MAX) + (i << 64)).collect();
        let rows: Vec<usize> = (0..50).collect();
        assert!(set.insert_rows(&keys, &rows).is_empty());
        assert_eq!(set.insert_rows(&keys, &[49, 0, 25]), vec![49, 0, 25]);
    }
}
