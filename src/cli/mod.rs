//! The command line: arguments ([`args`]) and everything printed ([`printer`]). The library
//! modules never print; the commands here turn their results into text.

pub mod args;
pub mod commands;
pub mod printer;
