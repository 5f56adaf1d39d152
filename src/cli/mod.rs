//! The command line: arguments ([`args`]) and everything printed ([`printer`]). The library
//! modules never print; the commands here turn their results into text.

// The one place that prints (the crate denies printing elsewhere: Cargo.toml [lints]).
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod args;
pub mod commands;
pub mod printer;
