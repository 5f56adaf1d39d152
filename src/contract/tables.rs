//! The tables of the contract, as data: every column with its type, nullability, codes and
//! meaning; each table's record key and date orders; the caisse reference.

use super::{ColumnSpec, DateOrder, LogicalType, RecordKey, TableSpec, amount, codes, col, count};

use LogicalType::{Bool, Date, Int, Timestamp, Utf8};

/// Dates outside this range are absurd for an operational extract (sentinels such as
/// 1900-01-01 or 2200-12-31) and send the row to rejects. Inclusive, Date32 days:
/// 1950-01-01 and 2099-12-31.
pub const PLAUSIBLE_DAYS: (i32, i32) = (-7_305, 47_481);

pub const CLAIM_KINDS: &[&str] = &["FSE", "FSP", "IJ"];
pub const RIGHT_TYPES: &[&str] = &["droit_propre", "droit_derive", "aspa"];
pub const PENSION_CHANNELS: &[&str] = &["online", "paper"];
pub const CALL_OUTCOMES: &[&str] = &[
    "agent",
    "ivr_info",
    "deflected",
    "abandoned",
    "welcome_hangup",
];
pub const BRANCHES: &[&str] = &[
    "maladie",
    "retraite",
    "affiliation",
    "recouvrement",
    "famille",
    "action_sociale",
];
pub const RECLAMATION_CHANNELS: &[&str] = &["courrier", "email", "telephone", "accueil", "web"];
pub const SURVEY_CHANNELS: &[&str] = &[
    "email",
    "telephone",
    "internet",
    "accueil",
    "courrier",
    "global",
];

pub static CLAIMS: TableSpec = TableSpec {
    name: "claims",
    title: "prestations en nature (FSE, FSP) and daily allowances (IJ)",
    columns: &[
        col("claim_id", Utf8, true, "unique within the caisse"),
        col("caisse_id", Utf8, true, "caisse that owns the claim"),
        codes(
            "kind",
            CLAIM_KINDS,
            "`FSE` (feuille de soins électronique), `FSP` (feuille de soins papier), `IJ` (arrêt maladie/maternité/paternité: indemnités journalières)",
        ),
        col(
            "care_date",
            Date,
            false,
            "date of care (fait générateur); for IJ the first day of leave",
        ),
        col(
            "received_date",
            Date,
            true,
            "date the caisse received the claim (FSP: reception of the paper form, not its scanning)",
        ),
        col(
            "paid_date",
            Date,
            false,
            "date of the payment order (mandatement); null while unpaid",
        ),
        amount("amount", true, "amount reimbursed, euros, >= 0"),
        col(
            "tiers_payant",
            Bool,
            false,
            "paid directly to the health professional",
        ),
        col(
            "handled_by",
            Utf8,
            false,
            "caisse_id of a delegate that processes the claim (e.g. Camieg's claims handled by a CPAM)",
        ),
    ],
    key: RecordKey::Id("claim_id"),
    date_orders: &[DateOrder {
        earlier: "received_date",
        later: "paid_date",
    }],
};

pub static PENSIONS: TableSpec = TableSpec {
    name: "pensions",
    title: "pension awards (liquidations)",
    columns: &[
        col("pension_id", Utf8, true, "unique within the caisse"),
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        codes(
            "right_type",
            RIGHT_TYPES,
            "`droit_propre` (own right), `droit_derive` (survivor's, réversion), `aspa` (minimum old-age allowance)",
        ),
        col(
            "filed_date",
            Date,
            true,
            "date the application arrived (dépôt / date de 1re intervention)",
        ),
        col(
            "complete_date",
            Date,
            false,
            "date the file became complete (complétude)",
        ),
        col(
            "effective_date",
            Date,
            true,
            "date d'effet (point de départ) of the pension",
        ),
        col(
            "notified_date",
            Date,
            false,
            "date the decision was notified",
        ),
        col(
            "first_paid_date",
            Date,
            false,
            "date of the first payment (mise en paiement); null while unpaid",
        ),
        codes("channel", PENSION_CHANNELS, "`online` or `paper`"),
        amount("monthly_amount", false, "euros"),
    ],
    key: RecordKey::Id("pension_id"),
    // A file cannot be complete, decided or paid before it was filed (issue 3).
    date_orders: &[
        DateOrder {
            earlier: "filed_date",
            later: "complete_date",
        },
        DateOrder {
            earlier: "filed_date",
            later: "notified_date",
        },
        DateOrder {
            earlier: "filed_date",
            later: "first_paid_date",
        },
    ],
};

pub static CALLS: TableSpec = TableSpec {
    name: "calls",
    title: "telephone platform",
    columns: &[
        col("call_id", Utf8, true, "unique within the caisse"),
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        col("arrived_at", Timestamp, true, "arrival of the call"),
        codes(
            "outcome",
            CALL_OUTCOMES,
            "`agent` (answered by a person), `ivr_info` (information delivered by the voice server, SVI), `deflected` (dissuadé: refused by the organism, e.g. saturation message), `abandoned` (caller hung up while queuing), `welcome_hangup` (caller hung up during the welcome/pre-routing message)",
        ),
        count("wait_seconds", false, "queue time"),
        count("talk_seconds", false, "conversation time"),
    ],
    key: RecordKey::Id("call_id"),
    date_orders: &[],
};

pub static RECLAMATIONS: TableSpec = TableSpec {
    name: "reclamations",
    title: "complaints",
    columns: &[
        col("reclamation_id", Utf8, true, "unique within the caisse"),
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        codes(
            "branch",
            BRANCHES,
            "`maladie`, `retraite`, `affiliation`, `recouvrement`, `famille`, `action_sociale`",
        ),
        codes(
            "channel",
            RECLAMATION_CHANNELS,
            "`courrier`, `email`, `telephone`, `accueil`, `web`",
        ),
        col(
            "received_date",
            Date,
            true,
            "date the complaint was received",
        ),
        col(
            "closed_date",
            Date,
            false,
            "date the answer was sent; null while open",
        ),
    ],
    key: RecordKey::Id("reclamation_id"),
    date_orders: &[DateOrder {
        earlier: "received_date",
        later: "closed_date",
    }],
};

pub static EMAILS: TableSpec = TableSpec {
    name: "emails",
    title: "inbound e-mails",
    columns: &[
        col("email_id", Utf8, true, "unique within the caisse"),
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        col("received_at", Timestamp, true, "arrival of the e-mail"),
        col(
            "first_response_at",
            Timestamp,
            false,
            "first response that is not an automatic acknowledgement (a holding reply written by an agent counts)",
        ),
        col(
            "is_spam",
            Bool,
            true,
            "spam is excluded from every denominator",
        ),
    ],
    key: RecordKey::Id("email_id"),
    date_orders: &[DateOrder {
        earlier: "received_at",
        later: "first_response_at",
    }],
};

pub static STAFF: TableSpec = TableSpec {
    name: "staff",
    title: "yearly staff",
    columns: &[
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        col("year", Int, true, "the year the figures are for"),
        amount("etp", true, "ETP moyen annuel, CDI + CDD"),
        count(
            "trained_headcount",
            false,
            "employees who followed at least one training in the year",
        ),
        amount(
            "absence_hours_short",
            false,
            "hours of sickness absence shorter than 8 calendar days",
        ),
        amount(
            "theoretical_hours",
            false,
            "theoretical working hours of the staff",
        ),
    ],
    key: RecordKey::CaisseYear,
    date_orders: &[],
};

pub static COSTS: TableSpec = TableSpec {
    name: "costs",
    title: "yearly management costs and activity",
    columns: &[
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        col("year", Int, true, "the year the figures are for"),
        amount(
            "management_cost",
            true,
            "coût de gestion global brut, euros",
        ),
        amount(
            "benefits_amount",
            true,
            "benefits paid (or contributions collected, for a recouvrement caisse), euros",
        ),
        amount(
            "activity_units",
            false,
            "weighted activity volume of the branch (bénéficiaires consommants, allocataires pondérés, unités d'œuvre pondérées, comptes actifs…)",
        ),
    ],
    key: RecordKey::CaisseYear,
    date_orders: &[],
};

pub static CONTROLS: TableSpec = TableSpec {
    name: "controls",
    title: "quality controls on a sample of liquidated files",
    columns: &[
        col("control_id", Utf8, true, "unique within the caisse"),
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        col(
            "branch",
            Utf8,
            true,
            "`maladie` or `retraite` (others allowed)",
        ), // "maladie or retraite (others allowed)": no closed list
        col("file_type", Utf8, false, "e.g. `IJ`, `C2S`, `droit_propre`"),
        col("control_date", Date, true, "date of the control"),
        amount(
            "amount_controlled",
            true,
            "amount paid on the controlled file, euros",
        ),
        amount(
            "error_amount",
            true,
            "absolute financial impact of the errors found, euros (0 when none)",
        ),
        col(
            "has_financial_anomaly",
            Bool,
            true,
            "at least one anomaly with financial impact",
        ),
    ],
    key: RecordKey::Id("control_id"),
    date_orders: &[],
};

pub static OVERPAYMENTS: TableSpec = TableSpec {
    name: "overpayments",
    title: "indus",
    columns: &[
        col("overpayment_id", Utf8, true, "unique within the caisse"),
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        col("branch", Utf8, true, "branch of the benefit overpaid"),
        col(
            "detected_date",
            Date,
            true,
            "date the overpayment was detected",
        ),
        amount("amount", true, "euros"),
        amount("recovered_amount", true, "euros recovered so far"),
        col("fraudulent", Bool, true, "fraud or fault (fraude / faute)"),
    ],
    key: RecordKey::Id("overpayment_id"),
    date_orders: &[],
};

pub static CONTRIBUTIONS: TableSpec = TableSpec {
    name: "contributions",
    title: "recouvrement",
    columns: &[
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        col("year", Int, true, "contribution year"),
        amount("amount_due", true, "contributions due, euros"),
        amount(
            "amount_collected",
            true,
            "collected at the measurement date, euros",
        ),
    ],
    key: RecordKey::CaisseYear,
    date_orders: &[],
};

pub static SATISFACTION: TableSpec = TableSpec {
    name: "satisfaction",
    title: "survey answers",
    columns: &[
        col("response_id", Utf8, true, "unique within the caisse"),
        col(
            "caisse_id",
            Utf8,
            true,
            "the caisse (listed in reference/caisses)",
        ),
        col("survey_date", Date, true, "date of the answer"),
        codes(
            "channel",
            SURVEY_CHANNELS,
            "the contact channel judged: `email`, `telephone`, `internet`, `accueil`, `courrier`, or `global`",
        ),
        ColumnSpec {
            name: "score",
            meaning: "1 très insatisfait, 2 insatisfait, 3 satisfait, 4 très satisfait",
            ty: Int,
            required: true,
            codes: None,
            non_negative: true,
            range: Some((1, 4)),
        },
    ],
    key: RecordKey::Id("response_id"),
    date_orders: &[],
};

/// Every fact table, in the order the contract lists them.
pub static TABLES: &[&TableSpec] = &[
    &CLAIMS,
    &PENSIONS,
    &CALLS,
    &RECLAMATIONS,
    &EMAILS,
    &STAFF,
    &COSTS,
    &CONTROLS,
    &OVERPAYMENTS,
    &CONTRIBUTIONS,
    &SATISFACTION,
];

/// The caisse reference (`reference/caisses.csv` or `.parquet`), read by
/// `crate::ingest::reference`.
pub static REFERENCE: &[ColumnSpec] = &[
    col(
        "caisse_id",
        Utf8,
        true,
        "unique code of the local caisse, e.g. `CPAM-92`, `CARSAT-NE`, `CAVIMAC`",
    ),
    col("name", Utf8, true, "display name"),
    col(
        "organism",
        Utf8,
        true,
        "the national organism or network it belongs to: `CNAM`, `CNAV`, `CAVIMAC`, `CRPCEN`, `CAMIEG`, … (a single-caisse régime is its own organism)",
    ),
    col("region", Utf8, false, "administrative region"),
    col(
        "alsace_moselle",
        Bool,
        false,
        "true: the local calendar adds Good Friday and 26 December as holidays (empty: false)",
    ),
    col(
        "extract_date",
        Date,
        false,
        "the caisse's as-of date: the last day its extracts cover completely (every event dated that day or earlier is in them). Empty: set per table, the latest date of the table's event columns over the caisse's accepted rows",
    ),
];

/// The *event columns* of each table: dates of something that has already happened. Per caisse,
/// the latest of them over the accepted rows of a table is the table's default as-of date
/// (indicators-v2 §9.1); timestamps count by their date. A table not listed has no event column
/// (yearly tables): no default as-of date. Columns a table does not have are skipped.
pub const EVENT_COLUMNS: &[(&str, &[&str])] = &[
    ("claims", &["received_date", "paid_date"]),
    (
        "pensions",
        &["filed_date", "notified_date", "first_paid_date"],
    ),
    ("calls", &["arrived_at"]),
    ("reclamations", &["received_date", "closed_date"]),
    ("emails", &["received_at", "first_response_at"]),
    ("controls", &["control_date"]),
    ("overpayments", &["detected_date", "committee_date"]),
    ("satisfaction", &["survey_date"]),
    (
        "social_action",
        &["received_date", "notified_date", "paid_date"],
    ),
    ("affiliations", &["arrived_date", "decided_date"]),
    ("employer_audits", &["closed_date"]),
];

/// Tables whose periods are never cut or provisional, whatever the as-of date: budgets print
/// voted and COG amounts for future years (indicators-v2 §9.2).
pub const NEVER_CUT: &[&str] = &["budget"];

/// The event columns of `table` (empty when it has none).
pub fn event_columns(table: &str) -> &'static [&'static str] {
    EVENT_COLUMNS
        .iter()
        .find(|(t, _)| *t == table)
        .map_or(&[], |(_, columns)| columns)
}
