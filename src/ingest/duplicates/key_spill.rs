//! The duplicate check of a table too large for its memory budget (issue #7, flat memory).
//!
//! In memory, the check keeps a 128-bit hash per accepted row ([`IdSet`], ~20 bytes a row at
//! its load): 1 GB at 50 M claims, growing with the input. Beyond the budget the check is
//! *deferred*: while the table streams, each accepted row's (hash, ordinal) — 16 bytes: 96
//! bits of the hash and a 32-bit row number — goes to one of
//! several spill files chosen by its hash, so a file holds every occurrence of its keys, in
//! path order. Once the table is read, each file is replayed alone into a set sized for that
//! file only: a key already in it is a later occurrence, i.e. a duplicate (the first
//! occurrence in path order is kept, the data contract (`docs/contract.md`)). Memory stays within the
//! budget whatever the rows; the rows found are then re-read and rejected (`super::deferred`)
//! and taken out of the cube by the compute step, so the results equal the in-memory check's.

use std::io::{BufWriter, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::execution::disk_manager::DiskManager;
use datafusion::execution::spill_file::{SpillFile, SpillWriter};

use super::id_set::IdSet;

/// Bytes of the key kept in a spilled entry: the low 96 bits of its 128-bit hash. Two keys of
/// a table then collide with probability ~2⁻⁹⁶ a pair (about 10⁻¹¹ for a billion rows),
/// against 2⁻¹²⁸ in memory; a third less to write and read back than the whole hash.
const KEY_BYTES: usize = 12;
const KEY_MASK: u128 = (1 << 96) - 1;
/// Size aimed at for the set replaying one file: small enough to stay in the processor's
/// last-level cache (35 MB shared on the benchmark machine), so that a replay runs at cache
/// speed rather than waiting for memory at each insert.
const CACHED_SET_BYTES: usize = 4 << 20;
/// At most this many files (each open, with a write buffer of `BUFFER_BYTES`): far below the
/// usual limit of 1 024 open files. Beyond ~500 M rows the sets outgrow `CACHED_SET_BYTES`.
const MAX_PARTITIONS: usize = 512;
const BUFFER_BYTES: usize = 32 << 10;
/// Entries replayed at a time, so that the set's inserts can prefetch ([`IdSet::insert_rows`]).
const REPLAY_CHUNK: usize = 8192;

/// Hashes and ordinals of accepted rows, partitioned by hash into spill files.
pub struct KeySpill {
    files: Vec<Arc<dyn SpillFile>>,
    writers: Vec<BufWriter<Box<dyn SpillWriter>>>,
    /// Entries written to each file.
    counts: Vec<usize>,
    /// Bytes of a row's ordinal in an entry: 4, or 8 for a table of 2³² rows or more.
    ordinal_bytes: usize,
}

impl std::fmt::Debug for KeySpill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySpill")
            .field("partitions", &self.files.len())
            .field("counts", &self.counts)
            .finish()
    }
}

impl KeySpill {
    /// Spill files for `rows` keys such that replaying one file on each of `threads` threads
    /// holds at most `budget` bytes of sets.
    pub fn create(
        disk: &Arc<DiskManager>,
        rows: usize,
        budget: usize,
        threads: usize,
    ) -> std::io::Result<Self> {
        let per_thread = (budget / threads.max(1)).clamp(1, CACHED_SET_BYTES);
        // A little slack (×5/4) for the uneven split of a hash partition.
        let partitions = (IdSet::bytes_for(rows) * 5 / 4)
            .div_ceil(per_thread)
            .clamp(1, MAX_PARTITIONS);
        let mut files = Vec::with_capacity(partitions);
        let mut writers = Vec::with_capacity(partitions);
        for _ in 0..partitions {
            let file = disk
                .create_tmp_file("duplicate-id check")
                .map_err(std::io::Error::other)?;
            writers.push(BufWriter::with_capacity(
                BUFFER_BYTES,
                file.open_writer().map_err(std::io::Error::other)?,
            ));
            files.push(file);
        }
        Ok(Self {
            files,
            writers,
            counts: vec![0; partitions],
            ordinal_bytes: if u32::try_from(rows).is_ok() { 4 } else { 8 },
        })
    }

    pub fn partitions(&self) -> usize {
        self.files.len()
    }

    /// Bytes written to the files.
    pub fn bytes(&self) -> u64 {
        (self.counts.iter().sum::<usize>() * (KEY_BYTES + self.ordinal_bytes)) as u64
    }

    /// Bytes of the set that replays the largest file.
    pub fn largest_set_bytes(&self) -> usize {
        IdSet::bytes_for(self.counts.iter().copied().max().unwrap_or(0))
    }

    /// Records the key of the row at `ordinal` (0-based over the table's files in path order).
    /// Rows must come in path order.
    pub fn push(&mut self, key: u128, ordinal: u64) -> std::io::Result<()> {
        // The high half picks the file; the set's slot comes from the low half (independent).
        let partition =
            ((u128::from((key >> 64) as u64) * self.files.len() as u128) >> 64) as usize;
        let mut entry = [0u8; KEY_BYTES + 8];
        entry[..KEY_BYTES].copy_from_slice(&key.to_le_bytes()[..KEY_BYTES]);
        entry[KEY_BYTES..].copy_from_slice(&ordinal.to_le_bytes());
        self.counts[partition] += 1;
        self.writers[partition].write_all(&entry[..KEY_BYTES + self.ordinal_bytes])
    }

    /// Replays every file (on `threads` threads) and returns, sorted, the ordinals of the rows
    /// whose key came earlier in path order. The spill files are deleted.
    pub fn resolve(self, threads: usize) -> std::io::Result<Vec<u64>> {
        let Self {
            files,
            writers,
            counts,
            ordinal_bytes,
        } = self;
        for mut writer in writers {
            writer.flush()?;
            writer
                .into_inner()
                .map_err(|e| e.into_error())?
                .finish()
                .map_err(std::io::Error::other)?;
        }
        let next = AtomicUsize::new(0);
        let replay = || -> std::io::Result<Vec<u64>> {
            let mut repeated = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else {
                    return Ok(repeated);
                };
                repeated.extend(replay_file(file.as_ref(), counts[i], ordinal_bytes)?);
            }
        };
        let found: Vec<std::io::Result<Vec<u64>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads.clamp(1, files.len().max(1)))
                .map(|_| scope.spawn(replay))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("replay thread"))
                .collect()
        });
        let mut repeated = Vec::new();
        for part in found {
            repeated.extend(part?);
        }
        repeated.sort_unstable();
        Ok(repeated)
    }
}

/// The ordinals of the repeated keys of one spill file of `count` entries.
fn replay_file(
    file: &dyn SpillFile,
    count: usize,
    ordinal_bytes: usize,
) -> std::io::Result<Vec<u64>> {
    let entry_bytes = KEY_BYTES + ordinal_bytes;
    let path = file.path().ok_or_else(|| {
        std::io::Error::other("the duplicate-id check needs a local temporary folder")
    })?;
    let mut reader = std::fs::File::open(path)?;
    let mut set = IdSet::with_capacity(count);
    let mut repeated = Vec::new();
    let mut bytes = vec![0u8; REPLAY_CHUNK * entry_bytes];
    let mut keys = Vec::with_capacity(REPLAY_CHUNK);
    let rows: Vec<usize> = (0..REPLAY_CHUNK).collect();
    let mut left = count;
    while left > 0 {
        let n = left.min(REPLAY_CHUNK);
        let chunk = &mut bytes[..n * entry_bytes];
        reader.read_exact(chunk)?;
        keys.clear();
        keys.extend(
            chunk
                .chunks_exact(entry_bytes)
                .map(|e| read_le(&e[..KEY_BYTES]) & KEY_MASK),
        );
        for row in set.insert_rows(&keys, &rows[..n]) {
            let entry = &chunk[row * entry_bytes..(row + 1) * entry_bytes];
            repeated.push(read_le(&entry[KEY_BYTES..]) as u64);
        }
        left -= n;
    }
    Ok(repeated)
}

/// An unsigned little-endian integer of up to 16 bytes.
fn read_le(bytes: &[u8]) -> u128 {
    let mut wide = [0u8; 16];
    wide[..bytes.len()].copy_from_slice(bytes);
    u128::from_le_bytes(wide)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_later_occurrences_across_partitions_in_path_order() {
        let disk = Arc::new(DiskManager::builder().build().unwrap());
        // A 1 kB budget for 10 000 keys: many partitions.
        let mut spill = KeySpill::create(&disk, 10_000, 1 << 10, 2).unwrap();
        assert!(spill.partitions() > 100, "{}", spill.partitions());
        let key = |i: u64| xxhash_rust::xxh3::xxh3_128(&i.to_le_bytes());
        let mut expected = Vec::new();
        for ordinal in 0..10_000u64 {
            // Every 7th row repeats the key of the row 5 000 before it (if any).
            let id = if ordinal % 7 == 0 && ordinal >= 5_000 {
                expected.push(ordinal);
                ordinal - 5_000
            } else {
                ordinal
            };
            spill.push(key(id), ordinal).unwrap();
        }
        // A key seen three times: its second and third occurrences.
        spill.push(key(1), 10_000).unwrap();
        spill.push(key(1), 10_001).unwrap();
        expected.extend([10_000, 10_001]);
        assert_eq!(spill.resolve(2).unwrap(), expected);
    }

    #[test]
    fn ordinals_beyond_32_bits_take_8_bytes() {
        let disk = Arc::new(DiskManager::builder().build().unwrap());
        let rows = u32::MAX as usize + 10;
        let mut spill = KeySpill::create(&disk, rows, 64 << 20, 2).unwrap();
        let far = u64::from(u32::MAX) + 5;
        spill.push(7, 3).unwrap();
        spill.push(7, far).unwrap();
        // Keys equal in their low 96 bits (and here in the same partition) are one key.
        spill.push(9 | (1 << 100), far + 1).unwrap();
        spill.push(9, far + 2).unwrap();
        assert_eq!(spill.bytes(), 4 * 20);
        assert_eq!(spill.resolve(2).unwrap(), vec![far, far + 2]);
    }

    #[test]
    fn one_partition_when_the_set_fits() {
        let disk = Arc::new(DiskManager::builder().build().unwrap());
        let spill = KeySpill::create(&disk, 1_000, 64 << 20, 2).unwrap();
        assert_eq!(spill.partitions(), 1);
        assert_eq!(spill.resolve(2).unwrap(), Vec::<u64>::new());
    }
}
