//! Compiles every indicator of one source table into **one** aggregate query (the table's
//! *cube*), so that each table is scanned once per run whatever the number of indicators.
//!
//! The query groups the accepted rows by `caisse_id` and by the union of the keys the
//! indicators need — period months, breakdown values, the integer values behind a P90 or a
//! quantile, and the units of a distinct count — and
//! sums, per indicator, the few additive measures its method needs (record counts, sums of
//! values, numerators and denominators). Every level and year is then an exact sum of cube
//! cells ([`super::rollup`]), and a P90 comes from the histogram of delays the cube holds.
//!
//! ```sql
//! SELECT caisse_id, k0, k1, …, COUNT(r0) AS m0, SUM(r0) AS m1, …
//! FROM (SELECT caisse_id, <key expr> AS k0, …, CASE WHEN <filter> THEN <value> END AS r0, …
//!       FROM claims)
//! GROUP BY caisse_id, k0, k1, …
//! ```

use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;

use crate::error::ComputeError;
use crate::model::{Grain, Indicator, Method};

/// An aggregate over one row-level column of the inner query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    Sum,
}

/// What a measure aggregates: a row-level column of the inner query, or a key column (the
/// count of a histogram cell is the count of its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Row(usize),
    Key(usize),
}

/// How the sum of a value column is carried: exact integers, or decimals with 6 digits
/// (amounts in euros), so that every sum is exact and independent of the row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numeric {
    Integer,
    Decimal,
}

/// Which accumulator of a cell a measure feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Records: denominator of a share or mean, records of a ratio or sum, P90 count.
    Records,
    /// Sum of values (mean, sum) or records meeting the condition (share).
    Sum,
    /// Ratio numerator.
    RatioNumerator,
    /// Ratio denominator.
    RatioDenominator,
}

/// A measure of an indicator: which cube column, added to which slot, at which period key.
#[derive(Debug, Clone)]
pub struct Contribution {
    pub slot: Slot,
    pub measure: usize,
    pub period_key: usize,
}

/// Which part of an indicator a table computes: all of it, or one side of a ratio across two
/// tables (each side is aggregated in its own table's cube, then joined on caisse and period).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Whole,
    Numerator,
    Denominator,
}

/// An indicator compiled against its table's cube.
#[derive(Debug, Clone)]
pub struct CompiledIndicator {
    pub def: Indicator,
    pub part: Part,
    pub contributions: Vec<Contribution>,
    /// One group key per breakdown (`dimensions`), in the definition's order.
    pub dimension_keys: Vec<usize>,
    /// P90 and quantiles: where the cube holds the histogram of its integer values.
    pub histogram: Option<Histogram>,
    /// `count_distinct` and shares over units: where the cube holds the distinct units.
    pub units: Option<Units>,
    /// A share with a `deadline`: where the cube holds its unmet records by deadline day.
    pub pending: Option<Pending>,
}

/// Where the cube holds an indicator's distinct units (`distinct`): each unit is a group key,
/// as a P90's delays are, so that a caisse's year counts a unit once across its months and
/// the year still comes from the one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Units {
    /// The group key holding the unit (as text; null outside the filter or for a null unit).
    pub unit_key: usize,
    /// The measure counting the records of each unit.
    pub records_measure: usize,
    /// A share: the measure counting the records of each unit that meet the condition.
    pub met_measure: Option<usize>,
    pub period_key: usize,
}

/// Where the cube holds the records of a share with a deadline that do not meet its condition,
/// by the day their deadline elapses (a group key, like a P90's histogram): once the caisse's
/// as-of date A is known, those whose day is after A are pending, the others failed
/// (indicators-v2 §1.1). The day is the deadline's date — a date deadline D has elapsed when
/// D ≤ A, and a timestamp T when T < A + 1 day at 00:00, i.e. when its date is ≤ A.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// The group key holding the deadline day (days since 1970-01-01), null for a record that
    /// met its condition or is outside the filter.
    pub day_key: usize,
    /// The measure counting the unmet records of each day.
    pub count_measure: usize,
    pub period_key: usize,
}

/// Where the cube holds an indicator's histogram: each distinct integer value is a group key,
/// and the count of its records a measure, at a period key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Histogram {
    /// The group key holding the value (a delay in days).
    pub value_key: usize,
    /// The measure counting the records of each value.
    pub count_measure: usize,
    pub period_key: usize,
}

/// One aggregate column of the cube: what it aggregates, how, and how its result is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    pub source: Source,
    pub aggregate: Aggregate,
    pub numeric: Numeric,
}

/// The cube query of one table and how each indicator reads it.
#[derive(Debug, Clone)]
pub struct TablePlan {
    pub table: String,
    pub keys: Vec<String>,
    /// Inner row-level expressions.
    pub rows: Vec<String>,
    /// Outer aggregates, one cube column each.
    pub measures: Vec<Measure>,
    pub indicators: Vec<CompiledIndicator>,
    pub sql: String,
}

impl TablePlan {
    /// Compiles `indicators` (all of `table`). `ctx` must have the table and the functions
    /// registered: expression types are found by planning, without reading any data.
    pub async fn compile(
        ctx: &SessionContext,
        table: &str,
        indicators: &[(&Indicator, Part)],
    ) -> Result<Self, ComputeError> {
        let mut plan = TablePlan {
            table: table.to_string(),
            keys: Vec::new(),
            rows: Vec::new(),
            measures: Vec::new(),
            indicators: Vec::new(),
            sql: String::new(),
        };
        for (ind, part) in indicators {
            let compiled = plan.add(ctx, ind, *part).await?;
            plan.indicators.push(compiled);
        }
        plan.sql = plan.render();
        Ok(plan)
    }

    async fn add(
        &mut self,
        ctx: &SessionContext,
        ind: &Indicator,
        part: Part,
    ) -> Result<CompiledIndicator, ComputeError> {
        if part == Part::Denominator {
            return self.add_denominator(ctx, ind).await;
        }
        let filter = ind.full_filter();
        self.expect_boolean(ctx, ind, &filter, "filter").await?;
        let period_key = self.period_key(ctx, ind, &ind.period_date).await?;
        let dimension_keys: Vec<usize> = ind
            .breakdowns()
            .into_iter()
            .map(|d| self.key(format!("CAST(({d}) AS VARCHAR)")))
            .collect();
        let mut contributions = Vec::new();
        let mut histogram = None;
        let mut units = None;
        let mut pending = None;
        let mut add = |plan: &mut Self, slot, row: usize, agg, numeric, period_key| {
            let measure = plan.measure(Source::Row(row), agg, numeric);
            contributions.push(Contribution {
                slot,
                measure,
                period_key,
            });
        };
        match ind.method {
            Method::Complement | Method::Yoy | Method::Dispersion | Method::CaissesMeeting => {
                return Err(ComputeError::Definition {
                    indicator: ind.key(),
                    message: "a derived indicator reads values, not records (compute::derived)"
                        .into(),
                });
            }
            Method::Mean | Method::Sum => {
                let value = ind.value.as_deref().expect("checked at load");
                let (cast, numeric) = self.numeric(ctx, ind, value, "value").await?;
                let row = self.row(format!("CASE WHEN {filter} THEN {cast} END"));
                add(self, Slot::Sum, row, Aggregate::Sum, numeric, period_key);
                match &ind.denominator_population {
                    None => add(
                        self,
                        Slot::Records,
                        row,
                        Aggregate::Count,
                        numeric,
                        period_key,
                    ),
                    Some(pop) => {
                        let den_period = self.period_key(ctx, ind, &pop.period_date).await?;
                        let den_filter = ind.full_filter_with(pop.filter.as_deref());
                        self.expect_boolean(ctx, ind, &den_filter, "denominator filter")
                            .await?;
                        let row = self.row(format!("CASE WHEN {den_filter} THEN 1 END"));
                        add(
                            self,
                            Slot::Records,
                            row,
                            Aggregate::Count,
                            Numeric::Integer,
                            den_period,
                        );
                    }
                }
            }
            Method::Share if ind.distinct.is_some() => {
                let condition = ind.condition.as_deref().expect("checked at load");
                self.expect_boolean(ctx, ind, condition, "condition")
                    .await?;
                let row = self.row(format!(
                    "CASE WHEN {filter} THEN CASE WHEN ({condition}) THEN 1 ELSE 0 END END"
                ));
                let met = self.measure(Source::Row(row), Aggregate::Sum, Numeric::Integer);
                units = Some(self.units(ctx, ind, &filter, period_key, Some(met)).await?);
            }
            Method::CountDistinct => {
                units = Some(self.units(ctx, ind, &filter, period_key, None).await?);
            }
            Method::Count => {
                let row = self.row(format!("CASE WHEN {filter} THEN 1 END"));
                add(
                    self,
                    Slot::Records,
                    row,
                    Aggregate::Count,
                    Numeric::Integer,
                    period_key,
                );
            }
            Method::Share => {
                let condition = ind.condition.as_deref().expect("checked at load");
                self.expect_boolean(ctx, ind, condition, "condition")
                    .await?;
                // A null condition (an open record) counts as not met: it stays in the denominator.
                let row = self.row(format!(
                    "CASE WHEN {filter} THEN CASE WHEN ({condition}) THEN 1 ELSE 0 END END"
                ));
                add(
                    self,
                    Slot::Records,
                    row,
                    Aggregate::Count,
                    Numeric::Integer,
                    period_key,
                );
                add(
                    self,
                    Slot::Sum,
                    row,
                    Aggregate::Sum,
                    Numeric::Integer,
                    period_key,
                );
                if let Some(deadline) = &ind.deadline {
                    pending = Some(
                        self.pending(ctx, ind, &filter, condition, deadline, period_key)
                            .await?,
                    );
                }
            }
            Method::Ratio => {
                let num = ind.numerator.as_deref().expect("checked at load");
                // Across two tables the denominator is summed in its own table's cube
                // (`add_denominator`). Within one table a row counts only when both sides are
                // known: a null activity volume must not add its cost to the numerator alone.
                let den = match part {
                    Part::Whole => Some(ind.denominator.as_deref().expect("checked at load")),
                    _ => None,
                };
                let mut known = format!("{filter} AND ({num}) IS NOT NULL");
                if let Some(den) = den {
                    known.push_str(&format!(" AND ({den}) IS NOT NULL"));
                }
                let num_sum = self.decimal(ctx, ind, num, "numerator").await?;
                let a = self.row(format!("CASE WHEN {known} THEN {num_sum} END"));
                let (sum, count) = (Aggregate::Sum, Aggregate::Count);
                add(
                    self,
                    Slot::RatioNumerator,
                    a,
                    sum,
                    Numeric::Decimal,
                    period_key,
                );
                add(self, Slot::Records, a, count, Numeric::Decimal, period_key);
                if let Some(den) = den {
                    let den_sum = self.decimal(ctx, ind, den, "denominator").await?;
                    let b = self.row(format!("CASE WHEN {known} THEN {den_sum} END"));
                    add(
                        self,
                        Slot::RatioDenominator,
                        b,
                        sum,
                        Numeric::Decimal,
                        period_key,
                    );
                }
            }
            Method::P90 | Method::Quantile => {
                let value = ind.value.as_deref().expect("checked at load");
                let (_, numeric) = self.numeric(ctx, ind, value, "value").await?;
                if numeric != Numeric::Integer {
                    let what = match ind.method {
                        Method::P90 => "P90",
                        _ => "quantile",
                    };
                    return Err(ComputeError::Definition {
                        indicator: ind.key(),
                        message: format!(
                            "a {what} is taken over whole numbers (delays in days); `{value}` is not an integer"
                        ),
                    });
                }
                let key = self.key(format!(
                    "CASE WHEN {filter} THEN CAST(({value}) AS BIGINT) END"
                ));
                let measure = self.measure(Source::Key(key), Aggregate::Count, Numeric::Integer);
                histogram = Some(Histogram {
                    value_key: key,
                    count_measure: measure,
                    period_key,
                });
            }
        }
        Ok(CompiledIndicator {
            def: ind.clone(),
            part,
            contributions,
            dimension_keys,
            histogram,
            units,
            pending,
        })
    }

    /// The distinct units of `distinct` as a group key, and the count of each unit's records
    /// (and, for a share, of those meeting the condition) as measures.
    async fn units(
        &mut self,
        ctx: &SessionContext,
        ind: &Indicator,
        filter: &str,
        period_key: usize,
        met_measure: Option<usize>,
    ) -> Result<Units, ComputeError> {
        let unit = ind.distinct.as_deref().expect("checked at load");
        self.type_of(ctx, ind, unit, "distinct").await?;
        let unit_key = self.key(format!(
            "CASE WHEN {filter} THEN CAST(({unit}) AS VARCHAR) END"
        ));
        let records_measure =
            self.measure(Source::Key(unit_key), Aggregate::Count, Numeric::Integer);
        Ok(Units {
            unit_key,
            records_measure,
            met_measure,
            period_key,
        })
    }

    /// The unmet records of a share with a deadline, by deadline day ([`Pending`]).
    async fn pending(
        &mut self,
        ctx: &SessionContext,
        ind: &Indicator,
        filter: &str,
        condition: &str,
        deadline: &str,
        period_key: usize,
    ) -> Result<Pending, ComputeError> {
        self.expect_type(ctx, ind, deadline, "deadline", |t| {
            matches!(
                t,
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
            )
        })
        .await?;
        let day_key = self.key(format!(
            "CASE WHEN {filter} AND NOT coalesce(({condition}), FALSE) \
             THEN days(DATE '1970-01-01', CAST(({deadline}) AS DATE)) END"
        ));
        let count_measure = self.measure(Source::Key(day_key), Aggregate::Count, Numeric::Integer);
        Ok(Pending {
            day_key,
            count_measure,
            period_key,
        })
    }

    /// The denominator side of a ratio across tables: Σ denominator of this table's rows, by
    /// caisse and period, for the rows of the denominator filter.
    async fn add_denominator(
        &mut self,
        ctx: &SessionContext,
        ind: &Indicator,
    ) -> Result<CompiledIndicator, ComputeError> {
        let period_date = ind
            .denominator_period_date
            .as_deref()
            .unwrap_or(&ind.period_date);
        let period_key = self.period_key(ctx, ind, period_date).await?;
        let filter = ind.full_filter_with(ind.denominator_filter.as_deref());
        self.expect_boolean(ctx, ind, &filter, "denominator_filter")
            .await?;
        let den = ind.denominator.as_deref().expect("checked at load");
        let den_sum = self.decimal(ctx, ind, den, "denominator").await?;
        let b = self.row(format!(
            "CASE WHEN {filter} AND ({den}) IS NOT NULL THEN {den_sum} END"
        ));
        let measure = self.measure(Source::Row(b), Aggregate::Sum, Numeric::Decimal);
        // The rows counted too: a caisse-year whose known denominator sums to 0 (0 ETP) is
        // still a known side of the join, and its numerator stays in the pooled sums.
        let rows = self.measure(Source::Row(b), Aggregate::Count, Numeric::Decimal);
        Ok(CompiledIndicator {
            def: ind.clone(),
            part: Part::Denominator,
            contributions: vec![
                Contribution {
                    slot: Slot::RatioDenominator,
                    measure,
                    period_key,
                },
                Contribution {
                    slot: Slot::Records,
                    measure: rows,
                    period_key,
                },
            ],
            dimension_keys: Vec::new(),
            histogram: None,
            units: None,
            pending: None,
        })
    }

    async fn period_key(
        &mut self,
        ctx: &SessionContext,
        ind: &Indicator,
        period_date: &str,
    ) -> Result<usize, ComputeError> {
        let expr = match ind.grain {
            Grain::Month => {
                self.expect_type(ctx, ind, period_date, "period_date", |t| {
                    matches!(
                        t,
                        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
                    )
                })
                .await?;
                format!("year_month(CAST(({period_date}) AS DATE))")
            }
            Grain::Year => {
                self.expect_type(ctx, ind, period_date, "period_date", DataType::is_integer)
                    .await?;
                format!("CAST(({period_date}) AS INT) * 100")
            }
        };
        Ok(self.key(expr))
    }

    /// A numeric expression as `DECIMAL(38, 6)`: ratio sides are summed exactly in millionths.
    async fn decimal(
        &mut self,
        ctx: &SessionContext,
        ind: &Indicator,
        expr: &str,
        what: &str,
    ) -> Result<String, ComputeError> {
        self.numeric(ctx, ind, expr, what).await?;
        Ok(format!("CAST(({expr}) AS DECIMAL(38, 6))"))
    }

    /// The cast that makes a value's sum exact, by the value's type.
    async fn numeric(
        &mut self,
        ctx: &SessionContext,
        ind: &Indicator,
        expr: &str,
        what: &str,
    ) -> Result<(String, Numeric), ComputeError> {
        let ty = self.type_of(ctx, ind, expr, what).await?;
        if ty.is_integer() || ty == DataType::Boolean {
            Ok((format!("CAST(({expr}) AS BIGINT)"), Numeric::Integer))
        } else if ty.is_floating()
            || matches!(ty, DataType::Decimal128(..) | DataType::Decimal256(..))
        {
            Ok((
                format!("CAST(({expr}) AS DECIMAL(38, 6))"),
                Numeric::Decimal,
            ))
        } else {
            Err(ComputeError::Definition {
                indicator: ind.key(),
                message: format!("{what} `{expr}` is of type {ty}, not a number"),
            })
        }
    }

    async fn expect_boolean(
        &mut self,
        ctx: &SessionContext,
        ind: &Indicator,
        expr: &str,
        what: &str,
    ) -> Result<(), ComputeError> {
        self.expect_type(ctx, ind, expr, what, |t| t == &DataType::Boolean)
            .await
    }

    async fn expect_type(
        &mut self,
        ctx: &SessionContext,
        ind: &Indicator,
        expr: &str,
        what: &str,
        ok: impl Fn(&DataType) -> bool,
    ) -> Result<(), ComputeError> {
        let ty = self.type_of(ctx, ind, expr, what).await?;
        if ok(&ty) {
            Ok(())
        } else {
            Err(ComputeError::Definition {
                indicator: ind.key(),
                message: format!("{what} `{expr}` has type {ty}, which does not fit"),
            })
        }
    }

    /// Plans `SELECT expr FROM table` (no data is read) and returns the expression's type.
    async fn type_of(
        &self,
        ctx: &SessionContext,
        ind: &Indicator,
        expr: &str,
        what: &str,
    ) -> Result<DataType, ComputeError> {
        let sql = format!("SELECT ({expr}) AS v FROM {}", self.table);
        let df = ctx.sql(&sql).await.map_err(|e| ComputeError::Sql {
            indicator: ind.key(),
            id: ind.id.clone(),
            file: ind.file.clone(),
            table: self.table.clone(),
            message: format!("{what} `{expr}`: {}", first_line(&e.to_string())),
        })?;
        Ok(df.schema().field(0).data_type().clone())
    }

    fn key(&mut self, expr: String) -> usize {
        intern(&mut self.keys, expr)
    }

    fn row(&mut self, expr: String) -> usize {
        intern(&mut self.rows, expr)
    }

    fn measure(&mut self, source: Source, agg: Aggregate, numeric: Numeric) -> usize {
        if let Some(i) = self
            .measures
            .iter()
            .position(|m| m.source == source && m.aggregate == agg)
        {
            return i;
        }
        self.measures.push(Measure {
            source,
            aggregate: agg,
            numeric,
        });
        self.measures.len() - 1
    }

    fn render(&self) -> String {
        let mut inner: Vec<String> = vec!["caisse_id".into()];
        inner.extend(
            self.keys
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{k} AS k{i}")),
        );
        inner.extend(
            self.rows
                .iter()
                .enumerate()
                .map(|(i, r)| format!("{r} AS r{i}")),
        );
        let mut group: Vec<String> = vec!["caisse_id".into()];
        group.extend((0..self.keys.len()).map(|i| format!("k{i}")));
        let mut outer = group.clone();
        for (i, m) in self.measures.iter().enumerate() {
            outer.push(format!(
                "{}({}) AS m{i}",
                m.aggregate.sql(),
                m.source.column()
            ));
        }
        format!(
            "SELECT {}\nFROM (\n  SELECT {}\n  FROM {}\n) AS cube_rows\nGROUP BY {}",
            outer.join(",\n       "),
            inner.join(",\n         "),
            self.table,
            group.join(", ")
        )
    }

    /// The SQL a measure aggregates.
    fn source_sql(&self, source: Source) -> &str {
        match source {
            Source::Row(r) => &self.rows[r],
            Source::Key(k) => &self.keys[k],
        }
    }

    /// The part of the query that concerns one indicator, for `parangon indicators show`.
    pub fn explain(&self, ind: &CompiledIndicator) -> String {
        let mut lines = Vec::new();
        let mut keys: Vec<usize> = ind.contributions.iter().map(|c| c.period_key).collect();
        keys.extend(&ind.dimension_keys);
        if let Some(h) = ind.histogram {
            keys.push(h.value_key);
            keys.push(h.period_key);
        }
        if let Some(u) = ind.units {
            keys.push(u.unit_key);
            keys.push(u.period_key);
        }
        if let Some(p) = ind.pending {
            keys.push(p.day_key);
        }
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            lines.push(format!("  group key k{k} = {}", self.keys[k]));
        }
        let mut measures: Vec<(usize, Slot)> = ind
            .contributions
            .iter()
            .map(|c| (c.measure, c.slot))
            .collect();
        if let Some(h) = ind.histogram {
            measures.push((h.count_measure, Slot::Records));
        }
        if let Some(u) = ind.units {
            measures.push((u.records_measure, Slot::Records));
            measures.extend(u.met_measure.map(|m| (m, Slot::Sum)));
        }
        if let Some(p) = ind.pending {
            measures.push((p.count_measure, Slot::Records));
        }
        for (m, slot) in measures {
            let measure = self.measures[m];
            lines.push(format!(
                "  m{m} ({slot:?}) = {}({})",
                measure.aggregate.sql(),
                self.source_sql(measure.source)
            ));
        }
        lines.join("\n")
    }
}

impl Aggregate {
    fn sql(&self) -> &'static str {
        match self {
            Aggregate::Count => "COUNT",
            Aggregate::Sum => "SUM",
        }
    }
}

impl Source {
    fn column(self) -> String {
        match self {
            Source::Row(r) => format!("r{r}"),
            Source::Key(k) => format!("k{k}"),
        }
    }
}

fn intern(list: &mut Vec<String>, expr: String) -> usize {
    if let Some(i) = list.iter().position(|e| *e == expr) {
        return i;
    }
    list.push(expr);
    list.len() - 1
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}
