//! The French administrative calendar used by the date rules of the catalogue.
//!
//! Days are Arrow `Date32` values: days since 1970-01-01. Everything here is pure and
//! allocation-free per call, so the SQL functions in [`crate::compute::functions`] can apply it
//! to whole Arrow arrays.
//!
//! Rules (the catalogue conventions (`docs/indicators.md`), "Open days"): an open day (*jour ouvert*) is Monday to
//! Friday minus the French public holidays — 1 January, Easter Monday, 1 May, 8 May, Ascension
//! Thursday, Whit Monday, 14 July, 15 August, 1 November, 11 November, 25 December — and, for a
//! caisse of Alsace-Moselle (local law, *droit local*), also Good Friday and 26 December.
//! The list is applied identically to every year: the contract defines today's calendar, not the
//! historical one (8 May was not a holiday in 1960-1981, for instance), so that a figure does not
//! depend on when a rule changed.

use std::sync::OnceLock;

use chrono::{Datelike, Months, NaiveDate};

/// First and last day of the precomputed range (1900-01-01 and 2200-12-31) as Date32 values.
const TABLE_FIRST: i32 = -25_567;
const TABLE_LAST: i32 = 84_370;

/// Day of the week of a Date32 value, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
pub fn weekday(day: i32) -> u32 {
    (day + 3).rem_euclid(7) as u32
}

/// Converts a Date32 value to a calendar date (panics out of chrono's range, ±262 000 years:
/// for days already known to be plausible).
pub fn to_date(day: i32) -> NaiveDate {
    try_to_date(day).expect("Date32 within chrono's range")
}

/// Converts any Date32 value to a calendar date, `None` beyond chrono's range (a Parquet file
/// may hold any i32).
pub fn try_to_date(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(EPOCH_CE)?)
}

/// Converts a calendar date to a Date32 value.
pub fn from_date(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_CE
}

/// `NaiveDate::num_days_from_ce()` of 1970-01-01.
const EPOCH_CE: i32 = 719_163;

/// Builds a date from year, month and day (panics on an impossible date: for constants and tests).
pub fn ymd(year: i32, month: u32, day: u32) -> i32 {
    from_date(NaiveDate::from_ymd_opt(year, month, day).expect("valid calendar date"))
}

/// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> i32 {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, month as u32, day as u32)
}

/// The public holidays of a year, sorted, for the national or the Alsace-Moselle calendar.
/// Holidays falling on the same day (Ascension on 1 May, as in 2008) appear once.
pub fn public_holidays(year: i32, alsace_moselle: bool) -> Vec<i32> {
    let easter = easter_sunday(year);
    let mut days = vec![
        ymd(year, 1, 1),
        easter + 1, // lundi de Pâques
        ymd(year, 5, 1),
        ymd(year, 5, 8),
        easter + 39, // Ascension
        easter + 50, // lundi de Pentecôte
        ymd(year, 7, 14),
        ymd(year, 8, 15),
        ymd(year, 11, 1),
        ymd(year, 11, 11),
        ymd(year, 12, 25),
    ];
    if alsace_moselle {
        days.push(easter - 2); // Vendredi saint (droit local)
        days.push(ymd(year, 12, 26)); // Saint-Étienne (droit local)
    }
    days.sort_unstable();
    days.dedup();
    days
}

/// Whether `day` is an open day (Monday to Friday, not a public holiday).
pub fn is_open_day(day: i32, alsace_moselle: bool) -> bool {
    OpenDays::new(alsace_moselle).is_open(day)
}

/// The open days of one calendar, for callers that test many days in a row (the generator
/// draws hundreds of millions): the table is looked up once, and the test is inlined.
#[derive(Debug, Clone, Copy)]
pub struct OpenDays {
    cumulative: &'static [u32],
    alsace_moselle: bool,
}

impl OpenDays {
    pub fn new(alsace_moselle: bool) -> Self {
        Self {
            cumulative: cumulative(alsace_moselle),
            alsace_moselle,
        }
    }

    /// Whether `day` is an open day (Monday to Friday, not a public holiday).
    #[inline]
    pub fn is_open(&self, day: i32) -> bool {
        match table_index(day) {
            Some(t) => self.cumulative[t + 1] > self.cumulative[t],
            // Outside the table (before 1900, after 2200): the rule itself.
            None => {
                weekday(day) < 5
                    && !public_holidays(to_date(day).year(), self.alsace_moselle).contains(&day)
            }
        }
    }
}

/// Open days d with `from < d <= to` (`open_days(a, b)` of the catalogue).
///
/// Negative when `to < from` (the count of the reversed interval, negated), so that the
/// function is additive over any adjacent intervals: `open_days(a, b) + open_days(b, c) =
/// open_days(a, c)`. Constant time inside 1900–2200 (a prefix-sum table built once).
pub fn open_days(from: i32, to: i32, alsace_moselle: bool) -> i64 {
    match (table_index(from), table_index(to)) {
        (Some(a), Some(b)) => {
            let cum = cumulative(alsace_moselle);
            i64::from(cum[b + 1]) - i64::from(cum[a + 1])
        }
        _ => open_days_slow(from, to, alsace_moselle),
    }
}

/// The last day b with `open_days(from, b) <= n` (`open_days_deadline(d, n, calendar)` of the
/// catalogue): the day before the (n+1)-th open day after `from`. For every b,
/// `open_days(from, b) <= n` ⟺ `b <= open_days_deadline(from, n)`. `None` for a negative `n`
/// (no day is allowed) or beyond chrono's range.
///
/// A maladie complaint received Thursday 21 May 2026 with 5 open days: Fri 22, Tue 26 (Whit
/// Monday 25 May is closed), Wed 27, Thu 28, Fri 29; the 6th is Mon 1 June, so the last allowed
/// day is Sunday 31 May.
pub fn open_days_deadline(from: i32, n: i64, alsace_moselle: bool) -> Option<i32> {
    if n < 0 {
        return None;
    }
    if let Some(a) = table_index(from) {
        let cum = cumulative(alsace_moselle);
        // The (n+1)-th open day x after `from` is the smallest x with cum[x + 1] − cum[a + 1]
        // ≥ n + 1; the answer is x − 1.
        let target = i64::from(cum[a + 1]) + n + 1;
        let j = cum.partition_point(|&c| i64::from(c) < target);
        if j < cum.len() {
            return Some(TABLE_FIRST + j as i32 - 2);
        }
    }
    open_days_deadline_slow(from, n, alsace_moselle)
}

/// [`open_days_deadline`] by walking the days (outside the precomputed table).
fn open_days_deadline_slow(from: i32, n: i64, alsace_moselle: bool) -> Option<i32> {
    let calendar = OpenDays::new(alsace_moselle);
    let mut open = 0i64;
    let mut day = from;
    loop {
        day = day.checked_add(1)?;
        try_to_date(day)?;
        if calendar.is_open(day) {
            open += 1;
            if open == n + 1 {
                return Some(day - 1);
            }
        }
    }
}

fn open_days_slow(from: i32, to: i32, alsace_moselle: bool) -> i64 {
    let (lo, hi, sign) = if from <= to {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let mut count = 0i64;
    let mut year_cache: Option<(i32, Vec<i32>)> = None;
    for day in (lo + 1)..=hi {
        if weekday(day) >= 5 {
            continue;
        }
        let year = to_date(day).year();
        if year_cache.as_ref().map(|(y, _)| *y) != Some(year) {
            year_cache = Some((year, public_holidays(year, alsace_moselle)));
        }
        let holidays = &year_cache.as_ref().expect("just set").1;
        if !holidays.contains(&day) {
            count += 1;
        }
    }
    sign * count
}

#[inline]
fn table_index(day: i32) -> Option<usize> {
    (TABLE_FIRST..=TABLE_LAST)
        .contains(&day)
        .then(|| (day - TABLE_FIRST) as usize)
}

/// `cum[i]` = open days among the first `i` days of the table (so `cum[0] = 0`).
fn cumulative(alsace_moselle: bool) -> &'static [u32] {
    static NATIONAL: OnceLock<Vec<u32>> = OnceLock::new();
    static ALSACE_MOSELLE: OnceLock<Vec<u32>> = OnceLock::new();
    let cell = if alsace_moselle {
        &ALSACE_MOSELLE
    } else {
        &NATIONAL
    };
    cell.get_or_init(|| build_cumulative(alsace_moselle))
}

fn build_cumulative(alsace_moselle: bool) -> Vec<u32> {
    let first_year = to_date(TABLE_FIRST).year();
    let last_year = to_date(TABLE_LAST).year();
    let mut closed = vec![false; (TABLE_LAST - TABLE_FIRST + 1) as usize];
    for year in first_year..=last_year {
        for day in public_holidays(year, alsace_moselle) {
            if let Some(i) = table_index(day) {
                closed[i] = true;
            }
        }
    }
    let mut cum = Vec::with_capacity(closed.len() + 1);
    cum.push(0u32);
    let mut running = 0u32;
    for (i, is_holiday) in closed.iter().enumerate() {
        let day = TABLE_FIRST + i as i32;
        if weekday(day) < 5 && !is_holiday {
            running += 1;
        }
        cum.push(running);
    }
    cum
}

/// `day + months` calendar months, clamped to the end of the month
/// (31 January + 1 month = 28 or 29 February). `None` outside chrono's range.
pub fn add_months(day: i32, months: i64) -> Option<i32> {
    let date = to_date(day);
    let shifted = if months >= 0 {
        date.checked_add_months(Months::new(u32::try_from(months).ok()?))
    } else {
        date.checked_sub_months(Months::new(u32::try_from(-months).ok()?))
    }?;
    Some(from_date(shifted))
}

/// Last day of the month that follows the month of `day` (the *sans rupture* deadline:
/// a pension effective on 1 March must be paid by 30 April).
pub fn end_of_next_month(day: i32) -> i32 {
    let date = to_date(day);
    let first_of_month = date.with_day(1).expect("day 1 exists");
    let first_after_next = first_of_month
        .checked_add_months(Months::new(2))
        .expect("within chrono's range");
    from_date(first_after_next) - 1
}

/// Year and month of a day, as the integer `yyyymm` used for period keys (2024-03 → 202403).
/// Integer arithmetic only (it runs once per row and period key; chrono's conversion was 3 % of
/// a run's CPU); equal to chrono's calendar on its whole range (tested).
pub fn year_month(day: i32) -> i32 {
    let (year, month) = civil_year_month(i64::from(day));
    (year * 100 + month) as i32
}

/// Proleptic Gregorian year and month of a day counted from 1970-01-01 (H. Hinnant's
/// `civil_from_days`: eras of 400 years, years starting in March).
fn civil_year_month(day: i64) -> (i64, i64) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_month_agrees_with_chrono_across_its_range() {
        let chrono = |day: i32| {
            let date = to_date(day);
            date.year() * 100 + date.month() as i32
        };
        // Every day from 1600 to 2400 (leap centuries, era boundaries), then a sparse sweep of
        // chrono's whole range (±262 000 years), negative years included.
        for day in ymd(1600, 1, 1)..=ymd(2400, 12, 31) {
            assert_eq!(year_month(day), chrono(day), "day {day}");
        }
        let (lo, hi) = (ymd(-262_000, 1, 1), ymd(262_000, 12, 31));
        for day in (lo..=hi).step_by(997) {
            assert_eq!(year_month(day), chrono(day), "day {day}");
        }
        assert_eq!(year_month(ymd(2024, 2, 29)), 202_402);
        assert_eq!(year_month(ymd(2000, 3, 1)), 200_003);
        assert_eq!(year_month(ymd(1969, 12, 31)), 196_912);
    }

    fn d(s: &str) -> i32 {
        from_date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn epoch_and_weekdays() {
        assert_eq!(ymd(1970, 1, 1), 0);
        assert_eq!(weekday(0), 3); // Thursday
        assert_eq!(weekday(d("2024-04-01")), 0); // Monday
        assert_eq!(TABLE_FIRST, ymd(1900, 1, 1));
        assert_eq!(TABLE_LAST, ymd(2200, 12, 31));
    }

    #[test]
    fn easter_matches_published_dates() {
        // Published Easter Sundays (Gregorian computus).
        for (year, date) in [
            (1900, "1900-04-15"),
            (1943, "1943-04-25"), // latest possible
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2019, "2019-04-21"),
            (2023, "2023-04-09"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
            (2200, "2200-04-06"),
            (2285, "2285-03-22"), // earliest possible
        ] {
            assert_eq!(easter_sunday(year), d(date), "Easter {year}");
        }
    }

    #[test]
    fn holidays_2024_match_the_official_list() {
        // Jours fériés 2024 (service-public.fr / Etalab jours-feries-seuls).
        let expected: Vec<i32> = [
            "2024-01-01",
            "2024-04-01",
            "2024-05-01",
            "2024-05-08",
            "2024-05-09",
            "2024-05-20",
            "2024-07-14",
            "2024-08-15",
            "2024-11-01",
            "2024-11-11",
            "2024-12-25",
        ]
        .iter()
        .map(|s| d(s))
        .collect();
        assert_eq!(public_holidays(2024, false), expected);
        let alsace = public_holidays(2024, true);
        assert_eq!(alsace.len(), 13);
        assert!(alsace.contains(&d("2024-03-29"))); // Vendredi saint
        assert!(alsace.contains(&d("2024-12-26")));
    }

    #[test]
    fn holidays_match_the_official_lists_of_several_years() {
        // Jours fériés en métropole (service-public.fr; Etalab « jours fériés »).
        let lists: [(i32, [&str; 11]); 4] = [
            (
                2019,
                [
                    "2019-01-01",
                    "2019-04-22",
                    "2019-05-01",
                    "2019-05-08",
                    "2019-05-30",
                    "2019-06-10",
                    "2019-07-14",
                    "2019-08-15",
                    "2019-11-01",
                    "2019-11-11",
                    "2019-12-25",
                ],
            ),
            (
                2023,
                [
                    "2023-01-01",
                    "2023-04-10",
                    "2023-05-01",
                    "2023-05-08",
                    "2023-05-18",
                    "2023-05-29",
                    "2023-07-14",
                    "2023-08-15",
                    "2023-11-01",
                    "2023-11-11",
                    "2023-12-25",
                ],
            ),
            (
                2025,
                [
                    "2025-01-01",
                    "2025-04-21",
                    "2025-05-01",
                    "2025-05-08",
                    "2025-05-29",
                    "2025-06-09",
                    "2025-07-14",
                    "2025-08-15",
                    "2025-11-01",
                    "2025-11-11",
                    "2025-12-25",
                ],
            ),
            (
                2027,
                [
                    "2027-01-01",
                    "2027-03-29",
                    "2027-05-01",
                    "2027-05-06",
                    "2027-05-08",
                    "2027-05-17",
                    "2027-07-14",
                    "2027-08-15",
                    "2027-11-01",
                    "2027-11-11",
                    "2027-12-25",
                ],
            ),
        ];
        for (year, list) in lists {
            let expected: Vec<i32> = list.iter().map(|s| d(s)).collect();
            assert_eq!(public_holidays(year, false), expected, "{year}");
        }
        // Alsace-Moselle 2025: Vendredi saint 18 April and 26 December in addition.
        let am = public_holidays(2025, true);
        assert_eq!(am.len(), 13);
        assert!(am.contains(&d("2025-04-18")) && am.contains(&d("2025-12-26")));
    }

    #[test]
    fn holidays_2025_and_2026() {
        let h25 = public_holidays(2025, false);
        for s in ["2025-04-21", "2025-05-29", "2025-06-09"] {
            assert!(h25.contains(&d(s)), "{s}");
        }
        let h26 = public_holidays(2026, true);
        for s in [
            "2026-04-03",
            "2026-04-06",
            "2026-05-14",
            "2026-05-25",
            "2026-12-26",
        ] {
            assert!(h26.contains(&d(s)), "{s}");
        }
    }

    #[test]
    fn coinciding_holidays_2008_count_once() {
        // 2008: Ascension fell on 1 May.
        let h = public_holidays(2008, false);
        assert_eq!(h.len(), 10);
        assert_eq!(easter_sunday(2008) + 39, d("2008-05-01"));
        // Week of 28 April 2008: Thu 1 May (holiday and Ascension), Thu 8 May the next week.
        assert_eq!(open_days(d("2008-04-27"), d("2008-05-04"), false), 4);
        assert_eq!(open_days(d("2008-05-04"), d("2008-05-11"), false), 4);
    }

    #[test]
    fn holidays_on_weekends_remove_nothing() {
        // 2021: 1 May and 8 May were Saturdays, 14 July a Wednesday, 15 August a Sunday.
        assert_eq!(open_days(d("2021-05-02"), d("2021-05-09"), false), 5);
        assert_eq!(open_days(d("2021-08-15"), d("2021-08-22"), false), 5);
        // 2021-07-14 (Wednesday) removes one day.
        assert_eq!(open_days(d("2021-07-11"), d("2021-07-18"), false), 4);
    }

    #[test]
    fn open_days_across_easter_national_and_alsace_moselle() {
        // Received Friday 29 March 2024 (Good Friday), answered Friday 5 April 2024.
        // National: Mon 1 April is Easter Monday -> open days Tue 2..Fri 5 = 4.
        let (a, b) = (d("2024-03-29"), d("2024-04-05"));
        assert_eq!(open_days(a, b, false), 4);
        assert_eq!(open_days(a, b, true), 4); // Good Friday is day a, excluded (a < d)
        // Received Thursday 28 March: national counts Good Friday, Alsace-Moselle does not.
        let a = d("2024-03-28");
        assert_eq!(open_days(a, b, false), 5);
        assert_eq!(open_days(a, b, true), 4);
        // Christmas week 2024 in Alsace-Moselle: 25 and 26 December closed.
        assert_eq!(open_days(d("2024-12-22"), d("2024-12-29"), false), 4);
        assert_eq!(open_days(d("2024-12-22"), d("2024-12-29"), true), 3);
    }

    #[test]
    fn open_days_same_day_weekend_and_reverse() {
        let fri = d("2024-06-07");
        assert_eq!(open_days(fri, fri, false), 0);
        assert_eq!(open_days(fri, fri + 1, false), 0); // Saturday
        assert_eq!(open_days(fri, fri + 3, false), 1); // Monday
        assert_eq!(open_days(fri + 3, fri, false), -1);
    }

    #[test]
    fn open_days_properties_additive_and_bounded() {
        // Deterministic pseudo-random triples across the whole table, both calendars.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let a = TABLE_FIRST + (x % 100_000) as i32;
            let b = a + ((x >> 20) % 400) as i32;
            let c = b + ((x >> 40) % 400) as i32;
            for am in [false, true] {
                let ab = open_days(a, b, am);
                let bc = open_days(b, c, am);
                assert_eq!(ab + bc, open_days(a, c, am));
                assert!(ab >= 0 && ab <= i64::from(b - a));
                assert!(open_days(a, b, true) <= open_days(a, b, false));
            }
        }
    }

    #[test]
    fn table_and_slow_path_agree() {
        for (a, b) in [
            (d("1999-12-20"), d("2000-01-10")),
            (d("2024-03-25"), d("2024-05-31")),
            (d("2199-12-01"), d("2200-12-31")),
        ] {
            for am in [false, true] {
                assert_eq!(open_days(a, b, am), open_days_slow(a, b, am));
            }
        }
        // Outside the table: slow path, same rules.
        let (a, b) = (d("1899-12-25"), d("1900-01-08"));
        assert_eq!(open_days(a, b, false), 9); // 26-29 Dec 1899, 2-5 Jan and 8 Jan 1900
        // Full year 2023 national: 260 weekdays minus 9 weekday holidays = 251.
        assert_eq!(open_days(d("2022-12-31"), d("2023-12-31"), false), 251);
        assert!(is_open_day(d("2023-12-29"), false));
        assert!(!is_open_day(d("2023-12-25"), false));
        assert!(!is_open_day(d("1850-01-01"), false));
    }

    #[test]
    fn open_days_deadline_around_holidays() {
        // indicators-v2 §1.1: maladie complaint received Thu 21 May 2026, 5 open days; Whit
        // Monday 25 May closed: Fri 22, Tue 26, Wed 27, Thu 28, Fri 29 → last day Sun 31 May.
        assert_eq!(
            open_days_deadline(d("2026-05-21"), 5, false),
            Some(d("2026-05-31"))
        );
        // 8 open days from the same day: … Fri 29, Mon 1, Tue 2, Wed 3 Jun; 9th Thu 4 → Wed 3.
        assert_eq!(
            open_days_deadline(d("2026-05-21"), 8, false),
            Some(d("2026-06-03"))
        );
        // Received Thu 28 March 2024, 5 open days. National: Fri 29 (Good Friday open), Tue 2
        // (Easter Monday 1 April closed), Wed 3, Thu 4, Fri 5; 6th Mon 8 → Sun 7 April.
        // Alsace-Moselle: Good Friday closed: Tue 2, Wed 3, Thu 4, Fri 5, Mon 8; 6th Tue 9 → Mon 8.
        assert_eq!(
            open_days_deadline(d("2024-03-28"), 5, false),
            Some(d("2024-04-07"))
        );
        assert_eq!(
            open_days_deadline(d("2024-03-28"), 5, true),
            Some(d("2024-04-08"))
        );
        // Christmas 2024 in Alsace-Moselle: received Tue 24 Dec, 1 open day: 25 and 26 closed,
        // Fri 27 is the 1st, Mon 30 the 2nd → Sun 29. National: Thu 26 the 1st, Fri 27 the 2nd → 26.
        assert_eq!(
            open_days_deadline(d("2024-12-24"), 1, true),
            Some(d("2024-12-29"))
        );
        assert_eq!(
            open_days_deadline(d("2024-12-24"), 1, false),
            Some(d("2024-12-26"))
        );
        // n = 0: the days before the first open day (a Friday: Saturday and Sunday).
        assert_eq!(
            open_days_deadline(d("2024-06-07"), 0, false),
            Some(d("2024-06-09"))
        );
        assert_eq!(open_days_deadline(d("2024-06-07"), -1, false), None);
        // Past the table's end: the walk, same rule. From Wed 31 Dec 2200: Thu 1 Jan 2201 is a
        // holiday, Fri 2 Jan the 1st open day → Thu 1 Jan.
        assert_eq!(
            open_days_deadline(d("2200-12-31"), 0, false),
            Some(d("2201-01-01"))
        );
    }

    #[test]
    fn open_days_deadline_is_the_bound_of_open_days() {
        // For every b: open_days(d, b) <= n ⟺ b <= open_days_deadline(d, n); the table and the
        // walk agree.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let from = ymd(1990, 1, 1) + (x % 20_000) as i32;
            let n = ((x >> 24) % 30) as i64;
            for am in [false, true] {
                let deadline = open_days_deadline(from, n, am).unwrap();
                assert_eq!(Some(deadline), open_days_deadline_slow(from, n, am));
                assert!(open_days(from, deadline, am) <= n);
                assert!(open_days(from, deadline + 1, am) > n);
                assert!(open_days(from, deadline - 3, am) <= n);
            }
        }
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        assert_eq!(add_months(d("2024-01-31"), 1), Some(d("2024-02-29")));
        assert_eq!(add_months(d("2023-01-31"), 1), Some(d("2023-02-28")));
        assert_eq!(add_months(d("2024-01-31"), 4), Some(d("2024-05-31")));
        assert_eq!(add_months(d("2024-10-31"), 4), Some(d("2025-02-28")));
        assert_eq!(add_months(d("2024-03-31"), -1), Some(d("2024-02-29")));
        assert_eq!(add_months(d("2024-06-15"), 0), Some(d("2024-06-15")));
    }

    #[test]
    fn end_of_next_month_cases() {
        assert_eq!(end_of_next_month(d("2024-01-01")), d("2024-02-29"));
        assert_eq!(end_of_next_month(d("2024-01-31")), d("2024-02-29"));
        assert_eq!(end_of_next_month(d("2024-03-01")), d("2024-04-30"));
        assert_eq!(end_of_next_month(d("2024-12-01")), d("2025-01-31"));
        assert_eq!(end_of_next_month(d("2023-11-30")), d("2023-12-31"));
    }

    #[test]
    fn year_month_key() {
        assert_eq!(year_month(d("2024-03-31")), 202_403);
        assert_eq!(year_month(d("1999-12-01")), 199_912);
    }
}
