//! Everything parangon prints goes through here: results on stdout, progress and messages on
//! stderr. Progress bars only on a terminal (and never with --quiet); plain lines otherwise,
//! so that logs of nightly runs stay readable.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::compute::Observer;
use crate::ingest::TableCounts;

/// How much to print, and where.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub quiet: bool,
    pub terminal: bool,
}

impl Printer {
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// A message on stderr (not with --quiet).
    pub fn note(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// An error on stderr, always.
    pub fn error(&self, message: &str) {
        eprintln!("error: {message}");
    }

    /// The observer that shows a computation's progress.
    pub fn progress(&self) -> Progress {
        Progress {
            printer: *self,
            multi: MultiProgress::new(),
            bars: Mutex::new(Vec::new()),
        }
    }
}

/// Progress of a run: a spinner per table on a terminal, a line per table otherwise.
pub struct Progress {
    printer: Printer,
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
}

impl Observer for Progress {
    fn table_started(&self, table: &str, rows: u64) {
        if self.printer.quiet {
            return;
        }
        if self.printer.terminal {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .expect("valid template"),
            );
            bar.set_message(format!(
                "{table}: reading and computing {} rows",
                group(rows)
            ));
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bars
                .lock()
                .expect("bars")
                .push((table.to_string(), bar));
        } else {
            eprintln!("{table}: reading {} rows", group(rows));
        }
    }

    fn table_finished(&self, table: &str, counts: &TableCounts) {
        if self.printer.quiet {
            return;
        }
        let line = format!(
            "{table}: {} rows read, {} accepted, {} rejected",
            group(counts.rows_read),
            group(counts.rows_accepted),
            group(counts.rows_rejected)
        );
        let bars = self.bars.lock().expect("bars");
        match bars.iter().find(|(t, _)| t == table) {
            Some((_, bar)) => bar.finish_with_message(line),
            None => eprintln!("{line}"),
        }
    }
}

/// 1234567 → "1 234 567" (the French grouping of the annex).
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn grouping() {
        assert_eq!(super::group(0), "0");
        assert_eq!(super::group(999), "999");
        assert_eq!(super::group(97_717), "97 717");
        assert_eq!(super::group(1_234_567), "1 234 567");
    }
}
