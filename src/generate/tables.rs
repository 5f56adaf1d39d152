//! The tables of a generated dataset: how many rows each caisse has, and how each row is drawn.
//!
//! A table's rows are drawn from the caisse's random stream in a fixed order, and pushed in the
//! contract's column order ([`Rows`] checks it). Row counts depend on the options and the
//! caisse only, so the rows to break on purpose are planned before any row is drawn.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::rows::Rows;
use super::{GenerateOptions, mix};
use crate::calendar::{self, ymd};
use crate::contract::{self, TableSpec};
use crate::ingest::Caisse;

/// How one table of the contract is generated.
pub(super) struct Table {
    pub spec: &'static TableSpec,
    /// Rows of one caisse for one year: 0 where its organism does not keep the table.
    pub rows: fn(&Gen) -> usize,
    /// Draws and pushes those rows (called only when there are some; a yearly table has
    /// one row per caisse).
    pub fill: fn(&mut Gen, &mut Rows, usize),
}

/// Every fact table, the big ones first (they are split into the most files, and a small
/// table then fills the last gaps of the threads).
pub(super) static TABLES: [Table; 11] = [
    Table {
        spec: &contract::CLAIMS,
        rows: |g| {
            if g.is(&["CNAM", "CAVIMAC", "CRPCEN", "CAMIEG"]) {
                g.volume
            } else {
                0
            }
        },
        fill: claims,
    },
    Table {
        spec: &contract::PENSIONS,
        rows: |g| {
            if g.is(&["CNAV", "CAVIMAC", "CRPCEN"]) {
                (g.volume / 8).max(10)
            } else {
                0
            }
        },
        fill: pensions,
    },
    Table {
        spec: &contract::CALLS,
        rows: |g| g.volume,
        fill: calls,
    },
    Table {
        spec: &contract::RECLAMATIONS,
        rows: |g| (g.volume / 10).max(10),
        fill: reclamations,
    },
    Table {
        spec: &contract::EMAILS,
        rows: |g| (g.volume / 4).max(10),
        fill: emails,
    },
    Table {
        spec: &contract::STAFF,
        rows: |_| 1,
        fill: staff,
    },
    Table {
        spec: &contract::COSTS,
        rows: |_| 1,
        fill: costs,
    },
    Table {
        spec: &contract::CONTROLS,
        rows: |g| (g.volume / 20).max(10),
        fill: controls,
    },
    Table {
        spec: &contract::OVERPAYMENTS,
        rows: |g| (g.volume / 40).max(10),
        fill: overpayments,
    },
    Table {
        spec: &contract::CONTRIBUTIONS,
        // Régimes that collect their own contributions.
        rows: |g| usize::from(g.is(&["CAVIMAC", "CRPCEN", "CAMIEG"])),
        fill: contributions,
    },
    Table {
        spec: &contract::SATISFACTION,
        rows: |g| (g.volume / 10).max(10),
        fill: satisfaction,
    },
];

/// A random stream for one (table, caisse, year) chunk, and the caisse's traits.
pub(super) struct Gen<'a> {
    rng: ChaCha8Rng,
    caisse: &'a Caisse,
    caisses: &'a [Caisse],
    year: i32,
    /// Claims per year; other tables derive from it.
    volume: usize,
    /// Delay multiplier: 1 is typical, a few caisses are much slower.
    slowness: f64,
    /// Horizon of the extraction: records not finished by then are open/unpaid.
    horizon: i32,
    /// 1 January of `year`, and the number of days of `year`.
    first_day: i32,
    days_in_year: i32,
    /// The caisse's calendar (Alsace-Moselle has two more holidays).
    open_days: calendar::OpenDays,
}

impl<'a> Gen<'a> {
    pub(super) fn new(
        options: &GenerateOptions,
        table: &str,
        index: usize,
        year: i32,
        caisse: &'a Caisse,
        caisses: &'a [Caisse],
    ) -> Self {
        // The caisse's slowness is fixed across tables and years.
        let mut traits =
            ChaCha8Rng::seed_from_u64(mix(options.seed, &["traits", &caisse.caisse_id]));
        let slowness = match index % 7 {
            3 => 2.2 + traits.random::<f64>(), // a caisse far worse than the others
            _ => 0.7 + 0.6 * traits.random::<f64>(),
        };
        let last_year = options.years.iter().copied().max().unwrap_or(year);
        Self {
            rng: ChaCha8Rng::seed_from_u64(mix(
                options.seed,
                &[table, &caisse.caisse_id, &year.to_string()],
            )),
            caisse,
            caisses,
            year,
            volume: options.rows_per_caisse,
            slowness,
            horizon: ymd(last_year, 12, 31),
            first_day: ymd(year, 1, 1),
            days_in_year: ymd(year, 12, 31) - ymd(year, 1, 1) + 1,
            open_days: calendar::OpenDays::new(caisse.alsace_moselle),
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    /// A log-normal draw of median `median`: `median · e^(σz)`, z standard normal. The same
    /// law as `LogNormal::new(ln median, σ)`, without a logarithm per draw.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        let z: f64 = self.rng.sample(StandardNormal);
        median * (sigma * z).exp()
    }

    /// A day of the year; weekends are rare (offices are closed), and the first open day after
    /// a holiday gets extra weight when `after_holidays` (complaints pile up).
    fn day(&mut self, after_holidays: bool) -> i32 {
        let (first, days) = (self.first_day, self.days_in_year);
        loop {
            let d = first + self.rng.random_range(0..days);
            let open = self.open_days.is_open(d);
            if !open && !self.chance(0.08) {
                continue;
            }
            if after_holidays
                && open
                && !self.open_days.is_open(d - 1)
                && calendar::weekday(d - 1) < 5
            {
                return d; // the day after a holiday is always kept
            }
            if after_holidays && self.chance(0.15) {
                continue;
            }
            return d;
        }
    }

    /// The first open day on or after `d` (payments are ordered on open days).
    fn next_open(&self, mut d: i32) -> i32 {
        while !self.open_days.is_open(d) {
            d += 1;
        }
        d
    }

    fn is(&self, organisms: &[&str]) -> bool {
        organisms.contains(&self.caisse.organism.as_str())
    }
}

fn first_day_of_month(day: i32) -> i32 {
    use chrono::Datelike;
    day - (calendar::to_date(day).day() as i32 - 1)
}

fn claims(g: &mut Gen, rows: &mut Rows, count: usize) {
    // Camieg delegates the handling of its claims to a CPAM.
    let handled_by = if g.caisse.organism == "CAMIEG" {
        g.caisses
            .iter()
            .find(|c| c.organism == "CNAM")
            .map(|c| c.caisse_id.clone())
    } else {
        None
    };
    for n in 0..count {
        let kind = match g.rng.random::<f64>() {
            x if x < 0.72 => "FSE",
            x if x < 0.90 => "FSP",
            _ => "IJ",
        };
        let received = g.day(false);
        let (care_gap, median, sigma) = match kind {
            "FSE" => (g.lognormal(1.5, 0.8), 3.0, 0.55),
            "FSP" => (g.lognormal(8.0, 0.7), 9.0, 0.6),
            _ => (g.lognormal(2.0, 0.6), 18.0, 0.7),
        };
        let care = received - care_gap.floor() as i32;
        let delay = (g.lognormal(median * g.slowness, sigma)).round() as i32;
        let mut paid = Some(g.next_open(received + delay));
        if paid.is_some_and(|p| p > g.horizon) || g.chance(0.015) {
            paid = None; // unpaid at extraction
        }
        let amount = match kind {
            "FSE" => g.lognormal(25.0, 0.8),
            "FSP" => g.lognormal(40.0, 0.9),
            _ => g.lognormal(450.0, 0.7),
        };
        rows.id("claim_id", b'C', g.year, n, 7);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("kind", Some(kind));
        rows.day("care_date", if g.chance(0.01) { None } else { Some(care) });
        rows.day("received_date", Some(received));
        rows.day("paid_date", paid);
        rows.float("amount", Some((amount * 100.0).round() / 100.0));
        let tp = kind == "FSE" && g.chance(0.45);
        rows.bool("tiers_payant", if kind == "IJ" { None } else { Some(tp) });
        rows.text("handled_by", handled_by.as_deref());
    }
}

fn pensions(g: &mut Gen, rows: &mut Rows, count: usize) {
    // The online share grows by about 8 points a year from 2020.
    let online = (0.45 + 0.08 * f64::from(g.year - 2020)).clamp(0.2, 0.95);
    for n in 0..count {
        let right = match g.rng.random::<f64>() {
            x if x < 0.72 => "droit_propre",
            x if x < 0.92 => "droit_derive",
            _ => "aspa",
        };
        let filed = g.day(false);
        // People file ahead of their start date; survivors and ASPA after the event.
        let effective = match right {
            "droit_propre" => {
                let later =
                    calendar::add_months(filed, g.rng.random_range(1..7)).expect("in range");
                first_day_of_month(later) // a pension starts on the 1st of a month
            }
            _ => filed - g.rng.random_range(0..60),
        };
        let completion = g.lognormal(25.0 * g.slowness, 0.9).round() as i32;
        let complete = if g.chance(0.04) {
            None
        } else {
            Some(filed + completion)
        };
        let ready = complete.unwrap_or(filed + 200).max(effective);
        let notify = ready + g.lognormal(20.0 * g.slowness, 0.8).round() as i32;
        let payment_delay = g.lognormal(25.0 * g.slowness, 0.7).round() as i32;
        let pay = g.next_open(ready + payment_delay);
        let (notified, first_paid) = if complete.is_none() {
            (None, None)
        } else {
            (
                (notify <= g.horizon).then_some(notify),
                (pay <= g.horizon && !g.chance(0.02)).then_some(pay),
            )
        };
        rows.id("pension_id", b'P', g.year, n, 6);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("right_type", Some(right));
        rows.day("filed_date", Some(filed));
        rows.day("complete_date", complete);
        rows.day("effective_date", Some(effective));
        rows.day("notified_date", notified);
        rows.day("first_paid_date", first_paid);
        let channel = if g.chance(online) { "online" } else { "paper" };
        rows.text("channel", Some(channel));
        rows.float(
            "monthly_amount",
            Some((g.lognormal(1_100.0, 0.5) * 100.0).round() / 100.0),
        );
    }
}

fn calls(g: &mut Gen, rows: &mut Rows, count: usize) {
    let reached = (0.93 - 0.08 * (g.slowness - 1.0)).clamp(0.5, 0.97);
    for n in 0..count {
        let day = g.day(false);
        let seconds = g.rng.random_range(8 * 3600 + 1800..17 * 3600);
        let outcome = if g.chance(0.05) {
            "welcome_hangup"
        } else if g.chance(reached) {
            if g.chance(0.15) { "ivr_info" } else { "agent" }
        } else if g.chance(0.4) {
            "deflected"
        } else {
            "abandoned"
        };
        let wait = match outcome {
            "agent" | "abandoned" => Some(g.lognormal(90.0 * g.slowness, 0.9).round() as i64),
            _ => None,
        };
        let talk = (outcome == "agent").then(|| g.lognormal(240.0, 0.6).round() as i64);
        rows.id("call_id", b'T', g.year, n, 7);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.micros(
            "arrived_at",
            Some(i64::from(day) * 86_400_000_000 + i64::from(seconds) * 1_000_000),
        );
        rows.text("outcome", Some(outcome));
        rows.int("wait_seconds", wait);
        rows.int("talk_seconds", talk);
    }
}

fn reclamations(g: &mut Gen, rows: &mut Rows, count: usize) {
    let branches: &[&str] = match g.caisse.organism.as_str() {
        "CNAM" => &["maladie", "maladie", "maladie", "affiliation"],
        "CNAV" => &["retraite", "retraite", "action_sociale"],
        "CAVIMAC" => &["maladie", "retraite", "affiliation", "recouvrement"],
        "CRPCEN" => &["maladie", "retraite"],
        _ => &["maladie", "affiliation"],
    };
    // Every channel of the contract, equally likely.
    const CHANNELS: &[&str] = contract::RECLAMATION_CHANNELS;
    for n in 0..count {
        let received = g.day(true);
        let branch = branches[g.rng.random_range(0..branches.len())];
        let calendar_days = g.lognormal(6.0 * g.slowness, 0.8).round() as i32;
        let mut closed = Some(received + calendar_days);
        if closed.is_some_and(|c| c > g.horizon) || g.chance(0.03) {
            closed = None; // still open at extraction
        }
        rows.id("reclamation_id", b'R', g.year, n, 6);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("branch", Some(branch));
        let channel = CHANNELS[g.rng.random_range(0..CHANNELS.len())];
        rows.text("channel", Some(channel));
        rows.day("received_date", Some(received));
        rows.day("closed_date", closed);
    }
}

fn emails(g: &mut Gen, rows: &mut Rows, count: usize) {
    for n in 0..count {
        let day = g.day(false);
        let received =
            i64::from(day) * 86_400_000_000 + g.rng.random_range(0..86_400i64) * 1_000_000;
        let spam = g.chance(0.06);
        let hours = g.lognormal(26.0 * g.slowness, 0.8);
        let answer = received + (hours * 3_600_000_000.0) as i64;
        let answered =
            !spam && !g.chance(0.04) && answer <= i64::from(g.horizon + 1) * 86_400_000_000;
        rows.id("email_id", b'M', g.year, n, 6);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.micros("received_at", Some(received));
        rows.micros("first_response_at", answered.then_some(answer));
        rows.bool("is_spam", Some(spam));
    }
}

/// Size of a caisse: ETP by organism (a CPAM or a Carsat is far larger than Cavimac).
fn etp_of(g: &Gen) -> f64 {
    let base = match g.caisse.organism.as_str() {
        "CNAM" => 1_400.0,
        "CNAV" => 1_200.0,
        "CRPCEN" => 280.0,
        "CAMIEG" => 220.0,
        _ => 110.0,
    };
    // A stable size per caisse (from its traits), drifting down 1 % a year.
    let mut traits = ChaCha8Rng::seed_from_u64(mix(0, &["size", &g.caisse.caisse_id]));
    base * (0.6 + 0.8 * traits.random::<f64>()) * 0.99f64.powi(g.year - 2020)
}

fn staff(g: &mut Gen, rows: &mut Rows, _one_row: usize) {
    let etp = (etp_of(g) * 10.0).round() / 10.0;
    let trained = (etp * (0.55 + 0.35 * g.rng.random::<f64>())).round() as i64;
    let theoretical = (etp * 1_607.0).round();
    let absence =
        (theoretical * 0.011 * g.slowness.sqrt() * (0.8 + 0.4 * g.rng.random::<f64>())).round();
    rows.text("caisse_id", Some(&g.caisse.caisse_id));
    rows.int("year", Some(i64::from(g.year)));
    rows.float("etp", Some(etp));
    rows.int("trained_headcount", Some(trained));
    rows.float("absence_hours_short", Some(absence));
    rows.float("theoretical_hours", Some(theoretical));
}

fn costs(g: &mut Gen, rows: &mut Rows, _one_row: usize) {
    let etp = etp_of(g);
    // Slower caisses also cost more per unit of activity.
    let management = etp * 72_000.0 * (0.9 + 0.2 * g.rng.random::<f64>()) * g.slowness.sqrt();
    let activity = etp * 520.0 * (0.85 + 0.3 * g.rng.random::<f64>());
    let benefits = management * (18.0 + 10.0 * g.rng.random::<f64>());
    rows.text("caisse_id", Some(&g.caisse.caisse_id));
    rows.int("year", Some(i64::from(g.year)));
    rows.float("management_cost", Some(management.round()));
    rows.float("benefits_amount", Some(benefits.round()));
    rows.float("activity_units", Some(activity.round()));
}

fn controls(g: &mut Gen, rows: &mut Rows, count: usize) {
    let branches: &[&str] = match g.caisse.organism.as_str() {
        "CNAM" | "CAMIEG" => &["maladie"],
        "CNAV" => &["retraite"],
        _ => &["maladie", "retraite"],
    };
    for n in 0..count {
        let branch = branches[g.rng.random_range(0..branches.len())];
        let amount = (g.lognormal(900.0, 1.0) * 100.0).round() / 100.0;
        let anomaly = g.chance(0.025 * g.slowness);
        let error = if anomaly {
            (amount * g.rng.random_range(0.05..0.6) * 100.0).round() / 100.0
        } else {
            0.0
        };
        rows.id("control_id", b'Q', g.year, n, 5);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("branch", Some(branch));
        rows.text(
            "file_type",
            Some(if branch == "maladie" {
                "IJ"
            } else {
                "droit_propre"
            }),
        );
        rows.day("control_date", Some(g.day(false)));
        rows.float("amount_controlled", Some(amount));
        rows.float("error_amount", Some(error));
        rows.bool("has_financial_anomaly", Some(anomaly));
    }
}

fn overpayments(g: &mut Gen, rows: &mut Rows, count: usize) {
    let branch = if g.caisse.organism == "CNAV" {
        "retraite"
    } else {
        "maladie"
    };
    for n in 0..count {
        let fraudulent = g.chance(0.08);
        let amount =
            (g.lognormal(if fraudulent { 4_000.0 } else { 600.0 }, 1.0) * 100.0).round() / 100.0;
        let share = if fraudulent {
            0.5
        } else {
            (1.0 - 0.05 * g.slowness).clamp(0.5, 1.0)
        };
        let recovered = if g.chance(share) {
            amount
        } else {
            (amount * g.rng.random::<f64>() * 100.0).round() / 100.0
        };
        rows.id("overpayment_id", b'I', g.year, n, 5);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("branch", Some(branch));
        rows.day("detected_date", Some(g.day(false)));
        rows.float("amount", Some(amount));
        rows.float("recovered_amount", Some(recovered));
        rows.bool("fraudulent", Some(fraudulent));
    }
}

fn contributions(g: &mut Gen, rows: &mut Rows, _one_row: usize) {
    let due = (etp_of(g) * 400_000.0).round();
    let collected = (due * (1.0 - 0.006 * g.slowness * (0.5 + g.rng.random::<f64>()))).round();
    rows.text("caisse_id", Some(&g.caisse.caisse_id));
    rows.int("year", Some(i64::from(g.year)));
    rows.float("amount_due", Some(due));
    rows.float("amount_collected", Some(collected));
}

fn satisfaction(g: &mut Gen, rows: &mut Rows, count: usize) {
    // Every channel of the contract, equally likely.
    const CHANNELS: &[&str] = contract::SURVEY_CHANNELS;
    let satisfied = (0.93 - 0.05 * (g.slowness - 1.0)).clamp(0.5, 0.98);
    for n in 0..count {
        let channel = CHANNELS[g.rng.random_range(0..CHANNELS.len())];
        let score = if g.chance(satisfied) {
            if g.chance(0.45) { 4 } else { 3 }
        } else if g.chance(0.6) {
            2
        } else {
            1
        };
        rows.id("response_id", b'S', g.year, n, 5);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.day("survey_date", Some(g.day(false)));
        rows.text("channel", Some(channel));
        rows.int("score", Some(score));
    }
}
