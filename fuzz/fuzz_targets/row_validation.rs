//! Coverage-guided fuzzing of the row validation (issue #6): arbitrary batches of every contract
//! table through `parangon::ingest::check_batch`, with the guarantees of `batch_from_bytes::check`
//! (no panic, no row lost, accepted rows satisfy the contract, reasons bounded, deterministic).
#![no_main]

#[path = "../batch_from_bytes.rs"]
mod batch_from_bytes;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    batch_from_bytes::check(data);
});
