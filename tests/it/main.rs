//! The integration tests, in one binary so that DataFusion is linked once (issue #16).
//! Each module is one subject; `common` holds the fixtures they share.

// Tests may say why they skip.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod annex;
mod as_of;
mod bad_inputs;
mod cases;
mod claims_calls_emails;
mod cli;
mod cluster;
mod common;
mod confidentiality;
mod coverage;
mod crash;
mod differential;
mod ingest;
mod language;
mod memory;
mod pensions_reclamations;
mod privacy;
mod row_validation;
mod s3;
mod snapshots;
mod targets;
mod variants;
mod yearly_controls_satisfaction;
