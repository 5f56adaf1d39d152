//! SQL functions available to the expressions of `pipelines/` (documented in
//! `docs/date-rules.md`). Each works on whole Arrow arrays with no allocation per row; the open
//! days use the calendar's prefix-sum table, so a call is a few array reads.
//!
//! | function | result |
//! |---|---|
//! | `days(a, b)` | calendar days `b − a` (BIGINT) |
//! | `open_days(a, b, alsace_moselle)` | open days d with a < d ≤ b in the caisse's calendar (BIGINT) |
//! | `open_days_deadline(d, n, alsace_moselle)` | the last day b with `open_days(d, b) ≤ n` (DATE) |
//! | `add_months(d, n)` | `d` + `n` calendar months, clamped to the month's end (DATE) |
//! | `end_of_next_month(d)` | last day of the month after `d`'s month (DATE) |
//! | `year_month(d)` | `yyyymm` of `d` (INT), the period key |

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Int32Array, Int64Array,
};
use datafusion::arrow::compute::kernels::arity::{binary, unary};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int32Type, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::prelude::SessionContext;

use crate::calendar;

/// Registers every parangon function on a session.
pub fn register(ctx: &SessionContext) {
    for udf in all() {
        ctx.register_udf(udf);
    }
}

/// The functions, for registration elsewhere (a cluster's executors, for instance).
pub fn all() -> Vec<ScalarUDF> {
    vec![
        create_udf(
            "days",
            vec![DataType::Date32, DataType::Date32],
            DataType::Int64,
            Volatility::Immutable,
            Arc::new(days),
        ),
        create_udf(
            "open_days",
            vec![DataType::Date32, DataType::Date32, DataType::Boolean],
            DataType::Int64,
            Volatility::Immutable,
            Arc::new(open_days),
        ),
        create_udf(
            "open_days_deadline",
            vec![DataType::Date32, DataType::Int64, DataType::Boolean],
            DataType::Date32,
            Volatility::Immutable,
            Arc::new(open_days_deadline),
        ),
        create_udf(
            "add_months",
            vec![DataType::Date32, DataType::Int64],
            DataType::Date32,
            Volatility::Immutable,
            Arc::new(add_months),
        ),
        create_udf(
            "end_of_next_month",
            vec![DataType::Date32],
            DataType::Date32,
            Volatility::Immutable,
            Arc::new(end_of_next_month),
        ),
        create_udf(
            "year_month",
            vec![DataType::Date32],
            DataType::Int32,
            Volatility::Immutable,
            Arc::new(year_month),
        ),
    ]
}

fn arrays(args: &[ColumnarValue], name: &str, n: usize) -> Result<Vec<ArrayRef>> {
    if args.len() != n {
        return exec_err!("{name} takes {n} arguments, got {}", args.len());
    }
    ColumnarValue::values_to_arrays(args)
}

fn days(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args, "days", 2)?;
    let out: Int64Array = binary(
        a[0].as_primitive::<Date32Type>(),
        a[1].as_primitive::<Date32Type>(),
        |from, to| i64::from(to) - i64::from(from),
    )?;
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn open_days(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args, "open_days", 3)?;
    let (from, to) = (
        a[0].as_primitive::<Date32Type>(),
        a[1].as_primitive::<Date32Type>(),
    );
    let alsace: &BooleanArray = a[2].as_boolean();
    // A null calendar flag means the national calendar (extracts.md: alsace_moselle null = false).
    let out: Int64Array = (0..from.len())
        .map(|i| {
            (from.is_valid(i) && to.is_valid(i)).then(|| {
                let am = alsace.is_valid(i) && alsace.value(i);
                calendar::open_days(from.value(i), to.value(i), am)
            })
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn open_days_deadline(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args, "open_days_deadline", 3)?;
    let (from, n) = (
        a[0].as_primitive::<Date32Type>(),
        a[1].as_primitive::<Int64Type>(),
    );
    let alsace: &BooleanArray = a[2].as_boolean();
    // A null calendar flag is the national calendar, as for `open_days`.
    let out: Date32Array = (0..from.len())
        .map(|i| {
            if from.is_null(i) || n.is_null(i) {
                return None;
            }
            let am = alsace.is_valid(i) && alsace.value(i);
            calendar::open_days_deadline(from.value(i), n.value(i), am)
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn add_months(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args, "add_months", 2)?;
    let (dates, months) = (
        a[0].as_primitive::<Date32Type>(),
        a[1].as_primitive::<Int64Type>(),
    );
    let out: Date32Array = dates
        .iter()
        .zip(months.iter())
        .map(|(d, m)| calendar::add_months(d?, m?))
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn end_of_next_month(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args, "end_of_next_month", 1)?;
    let out: Date32Array = unary(
        a[0].as_primitive::<Date32Type>(),
        calendar::end_of_next_month,
    );
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn year_month(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args, "year_month", 1)?;
    let out: Int32Array = a[0]
        .as_primitive::<Date32Type>()
        .unary::<_, Int32Type>(calendar::year_month);
    Ok(ColumnarValue::Array(Arc::new(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::ymd;

    async fn eval(sql: &str) -> Vec<String> {
        let ctx = SessionContext::new();
        register(&ctx);
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        text.lines().map(str::to_string).collect()
    }

    #[tokio::test]
    async fn functions_in_sql() {
        let lines = eval(
            "SELECT days(DATE '2024-01-31', DATE '2024-03-01') AS d, \
             open_days(DATE '2024-03-28', DATE '2024-04-05', false) AS nat, \
             open_days(DATE '2024-03-28', DATE '2024-04-05', true) AS am, \
             add_months(DATE '2024-01-31', 4) AS plus4, \
             end_of_next_month(DATE '2024-01-15') AS eonm, \
             year_month(DATE '2024-03-31') AS ym",
        )
        .await;
        let row = &lines[3];
        assert!(row.contains("| 30 "), "{row}");
        assert!(row.contains("| 5 "), "{row}");
        assert!(row.contains("| 4 "), "{row}");
        assert!(row.contains("2024-05-31"), "{row}");
        assert!(row.contains("2024-02-29"), "{row}");
        assert!(row.contains("202403"), "{row}");
    }

    #[tokio::test]
    async fn nulls_propagate() {
        let lines = eval(
            "SELECT days(CAST(NULL AS DATE), DATE '2024-01-01') IS NULL AS a, \
             open_days(DATE '2024-01-01', CAST(NULL AS DATE), false) IS NULL AS b, \
             open_days(DATE '2024-12-24', DATE '2024-12-27', CAST(NULL AS BOOLEAN)) AS c",
        )
        .await;
        // A null calendar flag is the national calendar: 26 and 27 December are open (2); in
        // Alsace-Moselle 26 December would be closed (1).
        assert!(lines[3].contains("| true | true | 2 "), "{}", lines[3]);
    }

    #[tokio::test]
    async fn open_days_deadline_in_sql() {
        // Thu 21 May 2026 + 5 open days (Whit Monday 25 May closed) → Sun 31 May; + 8 → Wed
        // 3 June. Thu 28 March 2024 + 5 in Alsace-Moselle (Good Friday and Easter Monday
        // closed) → Mon 8 April. A null date or count gives null.
        let lines = eval(
            "SELECT open_days_deadline(DATE '2026-05-21', 5, false) AS a, \
             open_days_deadline(DATE '2026-05-21', CASE WHEN 'x' = 'maladie' THEN 5 ELSE 8 END, false) AS b, \
             open_days_deadline(DATE '2024-03-28', 5, true) AS c, \
             open_days_deadline(CAST(NULL AS DATE), 5, false) IS NULL AS d, \
             open_days_deadline(DATE '2024-03-28', CAST(NULL AS BIGINT), true) IS NULL AS e",
        )
        .await;
        let row = &lines[3];
        assert!(
            row.contains("| 2026-05-31 | 2026-06-03 | 2024-04-08 | true | true |"),
            "{row}"
        );
    }

    #[test]
    fn arrays_without_sql() {
        let from = Date32Array::from(vec![Some(ymd(2024, 12, 22)), None]);
        let to = Date32Array::from(vec![Some(ymd(2024, 12, 29)), Some(0)]);
        let am = BooleanArray::from(vec![true, false]);
        let out = open_days(&[
            ColumnarValue::Array(Arc::new(from)),
            ColumnarValue::Array(Arc::new(to)),
            ColumnarValue::Array(Arc::new(am)),
        ])
        .unwrap()
        .into_array(2)
        .unwrap();
        let out = out.as_primitive::<Int64Type>();
        assert_eq!(out.value(0), 3);
        assert!(out.is_null(1));
    }
}
