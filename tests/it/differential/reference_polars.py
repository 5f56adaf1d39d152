#!/usr/bin/env python3
"""An independent second implementation of the bench indicators, with polars' lazy API.

    python3 tests/it/differential/reference_polars.py DATA_DIR PARANGON_OUTPUT_DIR [BENCH_IDS]

Written from ../shared/spec/indicators.md (the catalogue and its conventions) and
docs/decisions.md (where the spec is silent), not from the SQL of pipelines/: another engine,
another language, the same definitions. tests/it/differential.rs runs it on a generated dataset
and compares every value with parangon's indicator_values. Input: a dataset without invalid rows
(row validation is tested on its own), so both sides see the same records.

BENCH_IDS is the comma-separated list of the catalogue's bench ids (the Rust test passes the
ids of `Catalogue::load("pipelines")`; without it they are read from pipelines/*.toml). What is
compared follows from the catalogue, not from a count written here:
- an id of the catalogue this reference does not implement is listed ("not in the polars
  reference: …"), not an error: a statistician can add an indicator in TOML alone;
- an id implemented here that the catalogue does not have is an error (a stale reference);
- every id both have is compared.

It computes one row per value (indicator_id, level, caisse_id, organism, dimension_value, year,
month — null for a year —, value, n_records), compares them with the bench rows of parangon's
indicator_values for the ids both have (same keys; values equal to 1e-9 relative; same
n_records), checks that the dataset holds the edge cases the methods name, prints a summary,
and exits 1 on any difference or stale id.
"""
import datetime as dt
import sys

import polars as pl

DATA = sys.argv[1]


def catalogue_bench_ids():
    """The catalogue's bench ids: argv[3], or pipelines/*.toml (sub-folders are not definitions)."""
    if len(sys.argv) > 3:
        return {i for i in sys.argv[3].split(",") if i}
    import pathlib
    import tomllib

    pipelines = pathlib.Path(__file__).resolve().parents[3] / "pipelines"
    ids = set()
    for path in sorted(pipelines.glob("*.toml")):
        for ind in tomllib.loads(path.read_text()).get("indicator", []):
            if ind.get("definition", "bench") == "bench":
                ids.add(ind["id"])
    return ids


CATALOGUE = catalogue_bench_ids()
# The ids this reference implements, registered by compute() below.
IMPLEMENTED = set()

caisses = pl.read_csv(f"{DATA}/reference/caisses.csv", schema_overrides={"alsace_moselle": pl.Boolean}).with_columns(
    pl.col("alsace_moselle").fill_null(False)
)


def table(name):
    return pl.scan_parquet(f"{DATA}/{name}/**/*.parquet").join(
        caisses.lazy().select("caisse_id", "organism", "alsace_moselle"), on="caisse_id", how="inner"
    )


# ---------------------------------------------------------------- calendar (indicators.md)
def easter(year):
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def holidays(year, alsace_moselle):
    e = easter(year)
    days = {
        dt.date(year, 1, 1), e + dt.timedelta(days=1), dt.date(year, 5, 1), dt.date(year, 5, 8),
        e + dt.timedelta(days=39), e + dt.timedelta(days=50), dt.date(year, 7, 14),
        dt.date(year, 8, 15), dt.date(year, 11, 1), dt.date(year, 11, 11), dt.date(year, 12, 25),
    }
    if alsace_moselle:
        days |= {e - dt.timedelta(days=2), dt.date(year, 12, 26)}
    return days


def open_day_index(alsace_moselle):
    """date → number of open days from 1950-01-01 up to and including that date."""
    start, end = dt.date(1950, 1, 1), dt.date(2100, 12, 31)
    off = set()
    for y in range(start.year, end.year + 1):
        off |= holidays(y, alsace_moselle)
    dates, counts, n = [], [], 0
    d = start
    while d <= end:
        if d.weekday() < 5 and d not in off:
            n += 1
        dates.append(d)
        counts.append(n)
        d += dt.timedelta(days=1)
    return pl.DataFrame({"date": dates, "cum": counts, "alsace_moselle": alsace_moselle})


CALENDAR = pl.concat([open_day_index(False), open_day_index(True)]).lazy()
# Cumulative Monday-Friday count, holidays included (to find complaints that spanned a holiday).
WEEKDAYS = pl.DataFrame({"date": pl.date_range(dt.date(1950, 1, 1), dt.date(2100, 12, 31), eager=True)}).with_columns(
    (pl.col("date").dt.weekday() <= 5).cast(pl.Int64).cum_sum().alias("wd")
)


def with_open_days(frame, a, b, name):
    """open_days(a, b) = open days d with a < d <= b = cum(b) - cum(a)."""
    ca = CALENDAR.rename({"date": a, "cum": "_ca"})
    cb = CALENDAR.rename({"date": b, "cum": "_cb"})
    return (
        frame.join(ca, on=[a, "alsace_moselle"], how="left")
        .join(cb, on=[b, "alsace_moselle"], how="left")
        .with_columns((pl.col("_cb") - pl.col("_ca")).alias(name))
        .drop("_ca", "_cb")
    )


# ---------------------------------------------------------------- levels and methods
LEVELS = {
    "caisse": ["caisse_id", "organism"],
    "organism": ["organism"],
    "national": [],
}


def measure(method, scale):
    """Aggregations of a method over the measure columns prepared per row."""
    if method == "mean":
        return [pl.col("v").mean().alias("value"), pl.col("v").count().alias("n_records")]
    if method == "sum":
        return [pl.col("v").sum().cast(pl.Float64).alias("value"), pl.col("v").count().alias("n_records")]
    if method == "share":
        return [
            (100.0 * pl.col("ok").cast(pl.Float64).sum() / pl.len()).alias("value"),
            pl.len().alias("n_records"),
        ]
    if method == "ratio":
        return [
            (scale * pl.col("num").sum() / pl.col("den").sum()).alias("value"),
            pl.len().alias("n_records"),
            pl.col("den").sum().alias("_den"),
        ]
    if method == "p90":
        # Nearest rank: the smallest v with at least 90 % of the records <= v: rank ceil(0.9 n),
        # computed in integers (0.9 * n in floating point can round up past an integer).
        n = pl.col("v").count()
        return [
            pl.col("v").sort().get((n * 9 + 9) // 10 - 1).cast(pl.Float64).alias("value"),
            n.alias("n_records"),
        ]
    raise ValueError(method)


def compute(indicator, frame, method, monthly=True, dimension=None, scale=1.0):
    """All levels × (month, year) × (whole, breakdown) of one indicator. `frame` has caisse_id,
    organism, `y`, `m` and the measure columns of the method."""
    IMPLEMENTED.add(indicator)
    out = []
    grains = [True, False] if monthly else [False]
    dims = [None, dimension] if dimension else [None]
    for level, keys in LEVELS.items():
        for by_month in grains:
            for dim in dims:
                group = keys + ["y"] + (["m"] if by_month else []) + ([dim] if dim else [])
                part = frame
                if method in ("mean", "p90", "sum"):
                    part = part.filter(pl.col("v").is_not_null())
                if method == "ratio":
                    part = part.filter(pl.col("num").is_not_null() & pl.col("den").is_not_null())
                agg = part.group_by(group).agg(measure(method, scale))
                if method == "ratio":
                    agg = agg.filter(pl.col("_den") != 0).drop("_den")
                agg = agg.with_columns(
                    pl.lit(indicator).alias("indicator_id"),
                    pl.lit(level).alias("level"),
                    (pl.col("caisse_id") if "caisse_id" in group else pl.lit(None, pl.Utf8)).alias("caisse_id"),
                    (pl.col("organism") if "organism" in group else pl.lit(None, pl.Utf8)).alias("organism"),
                    (pl.col(dim).cast(pl.Utf8) if dim else pl.lit(None, pl.Utf8)).alias("dimension_value"),
                    pl.col("y").cast(pl.Int32).alias("year"),
                    (pl.col("m").cast(pl.Int32) if by_month else pl.lit(None, pl.Int32)).alias("month"),
                )
                out.append(
                    agg.select(
                        "indicator_id", "level", "caisse_id", "organism", "dimension_value",
                        "year", "month", pl.col("value").cast(pl.Float64), pl.col("n_records").cast(pl.Int64),
                    )
                )
    return out


def period(col):
    return [pl.col(col).dt.year().alias("y"), pl.col(col).dt.month().alias("m")]


def days(a, b):
    return (pl.col(b) - pl.col(a)).dt.total_days()


results = []

# ---------------------------------------------------------------- claims
claims = table("claims").filter(pl.col("paid_date").is_not_null()).with_columns(
    *period("paid_date"), days("received_date", "paid_date").alias("delay")
)
for kind in ["FSE", "FSP"]:
    k = claims.filter(pl.col("kind") == kind).with_columns(pl.col("delay").alias("v"))
    results += compute(f"claims_{kind.lower()}_delay_mean", k, "mean")
    results += compute(f"claims_{kind.lower()}_delay_p90", k, "p90")
results += compute(
    "claims_fse_paid_within_7d",
    claims.filter(pl.col("kind") == "FSE").with_columns((pl.col("delay") <= 7).alias("ok")),
    "share",
)
results += compute("claims_ij_delay_mean", claims.filter(pl.col("kind") == "IJ").with_columns(pl.col("delay").alias("v")), "mean")

# ---------------------------------------------------------------- pensions
pensions = table("pensions")
paid = pensions.filter(pl.col("first_paid_date").is_not_null()).with_columns(*period("first_paid_date"))
start = pl.max_horizontal("effective_date", pl.col("complete_date").fill_null(pl.col("effective_date")))
results += compute(
    "pensions_dp_paid_within_60d",
    paid.filter(pl.col("right_type") == "droit_propre").with_columns(
        (pl.col("first_paid_date") <= start + pl.duration(days=60)).alias("ok")
    ),
    "share",
)
notified = pensions.filter(pl.col("notified_date").is_not_null()).with_columns(*period("notified_date"))
for right, ind in [("aspa", "pensions_aspa_notified_within_4m"), ("droit_derive", "pensions_dd_notified_within_4m")]:
    results += compute(
        ind,
        notified.filter(pl.col("right_type") == right).with_columns(
            # Calendar months, clamped to the month's end (polars' offset_by clamps).
            (pl.col("notified_date") <= pl.col("filed_date").dt.offset_by("4mo")).alias("ok")
        ),
        "share",
    )
results += compute(
    "pensions_paid_without_gap",
    paid.filter(pl.col("right_type").is_in(["droit_propre", "droit_derive"])).with_columns(
        (pl.col("first_paid_date") <= pl.col("effective_date").dt.month_start().dt.offset_by("1mo").dt.month_end()).alias("ok")
    ),
    "share",
    dimension="right_type",
)
results += compute(
    "pensions_online_share",
    pensions.with_columns(*period("filed_date"), (pl.col("channel") == "online").alias("ok")),
    "share",
)

# ---------------------------------------------------------------- calls
calls = table("calls").with_columns(*period("arrived_at"))
results += compute(
    "calls_reached_rate",
    calls.filter(pl.col("outcome") != "welcome_hangup").with_columns(pl.col("outcome").is_in(["agent", "ivr_info"]).alias("ok")),
    "share",
)
results += compute(
    "calls_agent_answer_rate",
    calls.filter(pl.col("outcome") != "welcome_hangup").with_columns((pl.col("outcome") == "agent").alias("ok")),
    "share",
)

# ---------------------------------------------------------------- reclamations
recl = with_open_days(table("reclamations"), "received_date", "closed_date", "open_days")
received = recl.with_columns(*period("received_date"))
limit = pl.when(pl.col("branch") == "maladie").then(5).otherwise(8)
results += compute(
    "reclamations_within_deadline",
    # An open complaint counts in the denominator and has not met the deadline.
    received.with_columns((pl.col("closed_date").is_not_null() & (pl.col("open_days") <= limit)).fill_null(False).alias("ok")),
    "share",
    dimension="branch",
)
closed = recl.filter(pl.col("closed_date").is_not_null()).with_columns(
    *period("closed_date"), days("received_date", "closed_date").alias("v")
)
results += compute("reclamations_delay_mean", closed, "mean", dimension="branch")
results += compute("reclamations_within_10d", closed.with_columns((pl.col("v") <= 10).alias("ok")), "share")

# ---------------------------------------------------------------- emails
emails = table("emails").filter(~pl.col("is_spam")).with_columns(
    *period("received_at"),
    (pl.col("first_response_at") <= pl.col("received_at") + pl.duration(hours=48)).fill_null(False).alias("ok"),
)
results += compute("emails_within_48h", emails, "share")

# ---------------------------------------------------------------- staff, costs, contributions (yearly)
staff = table("staff").with_columns(pl.col("year").alias("y"))
results += compute("staff_etp", staff.with_columns(pl.col("etp").alias("v")), "sum", monthly=False)
results += compute(
    "training_rate",
    staff.with_columns(pl.col("trained_headcount").cast(pl.Float64).alias("num"), pl.col("etp").alias("den")),
    "ratio", monthly=False, scale=100.0,
)
results += compute(
    "absenteeism_short_rate",
    staff.with_columns(pl.col("absence_hours_short").alias("num"), pl.col("theoretical_hours").alias("den")),
    "ratio", monthly=False, scale=100.0,
)
costs = table("costs").with_columns(pl.col("year").alias("y"))
results += compute(
    "management_cost_rate",
    costs.with_columns(pl.col("management_cost").alias("num"), pl.col("benefits_amount").alias("den")),
    "ratio", monthly=False, scale=100.0,
)
results += compute(
    "unit_cost",
    costs.with_columns(pl.col("management_cost").alias("num"), pl.col("activity_units").alias("den")),
    "ratio", monthly=False,
)
results += compute(
    "productivity",
    costs.join(staff.select("caisse_id", "y", "etp"), on=["caisse_id", "y"], how="inner").with_columns(
        pl.col("activity_units").alias("num"), pl.col("etp").alias("den")
    ),
    "ratio", monthly=False,
)
contributions = table("contributions").with_columns(pl.col("year").alias("y"))
results += compute(
    "contributions_remaining_rate",
    contributions.with_columns((pl.col("amount_due") - pl.col("amount_collected")).alias("num"), pl.col("amount_due").alias("den")),
    "ratio", monthly=False, scale=100.0,
)

# ---------------------------------------------------------------- controls, overpayments, satisfaction
controls = table("controls").with_columns(*period("control_date"))
results += compute(
    "controls_tif",
    controls.with_columns(pl.col("error_amount").alias("num"), pl.col("amount_controlled").alias("den")),
    "ratio", dimension="branch", scale=100.0,
)
results += compute("controls_iql", controls.with_columns(pl.col("has_financial_anomaly").alias("ok")), "share", dimension="branch")
over = table("overpayments").with_columns(*period("detected_date"))
results += compute(
    "overpayments_recovery_rate",
    over.filter(~pl.col("fraudulent")).with_columns(pl.col("recovered_amount").alias("num"), pl.col("amount").alias("den")),
    "ratio", scale=100.0,
)
results += compute("fraud_prejudice_detected", over.filter(pl.col("fraudulent")).with_columns(pl.col("amount").alias("v")), "sum")
results += compute(
    "satisfaction_rate",
    table("satisfaction").with_columns(*period("survey_date"), (pl.col("score") >= 3).alias("ok")),
    "share", dimension="channel",
)

reference = pl.concat(pl.collect_all(results))

# ---------------------------------------------------------------- the dataset has the edge cases
c = table("claims").collect()
r = with_open_days(table("reclamations"), "received_date", "closed_date", "open_days").collect()
p = pensions.collect()
e = table("emails").collect()
edge_cases = {
    "unpaid claims": c.filter(pl.col("paid_date").is_null()).height,
    "claims paid on the last day of a month": c.filter(pl.col("paid_date") == pl.col("paid_date").dt.month_end()).height,
    "open complaints": r.filter(pl.col("closed_date").is_null()).height,
    # Weekdays in (received, closed] minus open days: a public holiday fell on a weekday.
    "complaints open across a public holiday": r.join(
        WEEKDAYS.rename({"date": "received_date", "wd": "_wa"}), on="received_date", how="left"
    ).join(
        WEEKDAYS.rename({"date": "closed_date", "wd": "_wb"}), on="closed_date", how="left"
    ).filter(pl.col("_wb") - pl.col("_wa") > pl.col("open_days")).height,
    "complaints of Alsace-Moselle caisses": r.filter(pl.col("alsace_moselle")).height,
    "pensions filed on the 29th-31st (month clamping)": p.filter(pl.col("filed_date").dt.day() >= 29).height,
    "pensions without complete_date": p.filter(pl.col("complete_date").is_null()).height,
    "unpaid pensions": p.filter(pl.col("first_paid_date").is_null()).height,
    "spam e-mails": e.filter(pl.col("is_spam")).height,
    "e-mails never answered": e.filter(pl.col("first_response_at").is_null()).height,
    "welcome hang-ups": table("calls").filter(pl.col("outcome") == "welcome_hangup").collect().height,
}
missing = [k for k, n in edge_cases.items() if n == 0]
for k, n in edge_cases.items():
    print(f"edge case {k:<50} {n:>7} records")

# ---------------------------------------------------------------- comparison with parangon
stale = sorted(IMPLEMENTED - CATALOGUE)
not_in_polars = sorted(CATALOGUE - IMPLEMENTED)
common = sorted(CATALOGUE & IMPLEMENTED)
print(f"catalogue: {len(CATALOGUE)} bench ids; polars reference: {len(IMPLEMENTED)} ids; compared: {len(common)}")
print("polars reference implements:", ", ".join(sorted(IMPLEMENTED)))
print("not in the polars reference:", ", ".join(not_in_polars) if not_in_polars else "none")
if stale:
    print("stale reference, not in the catalogue:", ", ".join(stale))
keys = ["indicator_id", "level", "caisse_id", "organism", "dimension_value", "year", "month"]
parangon = (
    pl.read_parquet(f"{sys.argv[2]}/indicator_values/*/*.parquet")
    .filter((pl.col("definition") == "bench") & pl.col("indicator_id").is_in(common))
    .select(*keys, "value", "n_records")
)
reference = reference.filter(pl.col("indicator_id").is_in(common))
both = parangon.join(reference, on=keys, how="full", nulls_equal=True, suffix="_polars", coalesce=True)
only_parangon = both.filter(pl.col("value_polars").is_null())
only_polars = both.filter(pl.col("value").is_null())
different = both.filter(
    pl.col("value").is_not_null()
    & pl.col("value_polars").is_not_null()
    & (
        ((pl.col("value") - pl.col("value_polars")).abs() > 1e-9 * pl.max_horizontal(pl.col("value_polars").abs(), pl.lit(1.0)))
        | (pl.col("n_records") != pl.col("n_records_polars"))
    )
)
print(
    f"parangon {parangon.height} bench values, polars {reference.height}: "
    f"{parangon.height - only_parangon.height} compared, {only_parangon.height} only in parangon, "
    f"{only_polars.height} only in polars, {different.height} different"
)
print("per indicator:", dict(sorted(reference.group_by("indicator_id").len().iter_rows())))
with pl.Config(tbl_rows=20, tbl_cols=12, fmt_str_lengths=40):
    for name, frame in [("only in parangon", only_parangon), ("only in polars", only_polars), ("different", different)]:
        if frame.height:
            print(name)
            print(frame.group_by("indicator_id", "level").len().sort("indicator_id"))
            print(frame.head(10))
if missing:
    print("the dataset lacks edge cases:", missing)
sys.exit(1 if (stale or only_parangon.height or only_polars.height or different.height or missing) else 0)
