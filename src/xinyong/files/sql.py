"""Every SQL statement of credit-file assembly, as plain strings in one place.

The files step is a list of named ``SELECT`` steps (:func:`file_steps`); an
engine runs each and registers its result under its name, so later steps can
read it. DuckDB does that with temporary views (:mod:`xinyong.files.build`);
the Spark engine will transpile the same strings with SQLGlot
(``sqlglot.transpile(sql, read="duckdb", write="spark")``) and register temp
views. A test transpiles every step.

What needed care for Spark (and is why the SQL looks the way it does):

* no dynamic ``INTERVAL (expr) MONTH``: history months are integer month
  indexes (``year * 12 + month - 1``) turned back into dates with
  ``MAKE_DATE(CAST(FLOOR(i / 12) AS INT), ...)`` (``FLOOR``, because DuckDB
  rounds when it casts a double to an integer and Spark truncates);
* the 24 positions of a payment history profile come from an inline
  ``VALUES`` table, not ``UNNEST``/``range`` (DuckDB) or ``posexplode`` (Spark);
* ``date + INTERVAL`` is always wrapped in ``CAST(... AS DATE)``;
* no ``SELECT * EXCLUDE``, ``QUALIFY`` or ``FILTER``: explicit column lists,
  ``ROW_NUMBER()`` in a subquery, ``CASE`` inside aggregates;
* the history merge is a grouped ``ARG_MAX`` over one integer priority, which
  SQLGlot writes as Spark's ``MAX_BY`` (3.0+); ordering ``DESC NULLS LAST`` is
  Spark's default for ``DESC``, so SQLGlot drops the ``NULLS LAST``;
* the first later month reported current, for a slot reported once, is read
  off its profile with ``REVERSE`` and ``INSTR`` (SQLGlot writes Spark's
  ``LOCATE``), the next report of a slot with ``LEAD``, both engines' own;
* identifiers are plain lower-case names (SQLGlot quotes for Spark).

The inputs are four relations: ``accounts`` and ``public_records`` (the
ledger's record tables, already limited to the batches of the as-of snapshot),
``links`` (ledger row -> subject) and ``suppressed`` (``item_id`` of items
hidden because a dispute about them is overdue; may be empty). Dates are
rendered as literals, so each string is complete and needs no bind parameters.

Every account slot and public record carries a stable ``item_id`` (``A`` or
``P`` and the MD5 of its key, a function both engines have), so disputes and
reports can name an item across runs and dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from xinyong.ledger.query import current
from xinyong.policy.model import ACCOUNT_KINDS, NegativeKind, Profile
from xinyong.policy.sql import ItemColumns, ages_off_sql, date_literal

__all__ = [
    "FILE_TABLES",
    "HIDDEN_REASONS",
    "SLOT",
    "Step",
    "account_item_id_sql",
    "file_steps",
    "public_record_item_id_sql",
]

SLOT: Final = ("furnisher_id", "account_key", "consumer_no")
"""One account as one consumer holds it: supersession and history are per slot."""

FILE_TABLES: Final = ("file_subjects", "file_accounts", "file_history", "file_public_records")
"""The steps whose results make up :class:`~xinyong.files.model.CreditFiles`."""

_REPORT_ORDER: Final = ("date_reported", "batch_id", "record_no")
_DEROGATORY_CODES: Final = "('1', '2', '3', '4', '5', '6', 'G', 'H', 'J', 'K', 'L')"
_DISPUTED_CCC: Final = "('XB', 'XC', 'XD', 'XE', 'XF', 'XG', 'XJ')"
_OPEN_STATUSES: Final = "('11', '71', '78', '80', '82', '83', '84')"
_PAID_STATUSES: Final = "('13', '61', '62', '63', '64', '65')"
_DEFAULT_STATUSES: Final = "('88', '89', '93', '94', '95', '96', '97')"
_NULL_DATE: Final = "CAST(NULL AS DATE)"


@dataclass(frozen=True, slots=True)
class Step:
    """One named ``SELECT``; the engine registers its result as ``name``.

    ``view``: the step streams and is cheap to recompute (a filter, a
    projection, an expansion of a stored step), so every engine keeps it a
    view, planned into each reader, whatever its readers or memory limit:
    storing it would cost more than computing it again.
    """

    name: str
    sql: str
    view: bool = False


def _month_date(index: str) -> str:
    return f"MAKE_DATE(CAST(FLOOR({index} / 12) AS INT), CAST({index} % 12 + 1 AS INT), 1)"


def _month_index(day: str) -> str:
    return f"(YEAR({day}) * 12 + MONTH({day}) - 1)"


def _slot_join(left: str, right: str) -> str:
    return " AND ".join(f"{left}.{c} = {right}.{c}" for c in SLOT)


HIDDEN_REASONS: Final = ("deleted", "dispute_overdue", "aged_off")
"""Why an item is in the file but not shown (``hidden_reason``), first match wins."""


def account_item_id_sql(alias: str = "") -> str:
    """SQL for an account slot's ``item_id``: ``'A'`` + MD5 of furnisher, account key
    and consumer number joined by ``|`` (the key of a slot never changes)."""
    p = f"{alias}." if alias else ""
    return (
        f"('A' || MD5({p}furnisher_id || '|' || {p}account_key || '|' "
        f"|| CAST({p}consumer_no AS VARCHAR)))"
    )


def public_record_item_id_sql(alias: str = "") -> str:
    """SQL for a public record's ``item_id``: ``'P'`` + MD5 of furnisher and record ref."""
    p = f"{alias}." if alias else ""
    return f"('P' || MD5({p}furnisher_id || '|' || {p}record_ref))"


def _hidden(deleted: str, suppressed: str, aged_off: str) -> str:
    return (
        f"CASE WHEN {deleted} THEN 'deleted' WHEN {suppressed} THEN 'dispute_overdue' "
        f"WHEN {aged_off} THEN 'aged_off' ELSE NULL END"
    )


_SUPPRESSED: Final = "(SELECT DISTINCT item_id FROM suppressed)"


# -- accounts ----------------------------------------------------------------

_ACCOUNT_COLUMNS: Final = (
    "furnisher_id", "account_key", "consumer_no", "batch_id", "record_no", "subject_kind",
    "date_reported", "account_number_masked", "portfolio_type", "account_type", "ecoa_code",
    "date_opened", "date_closed", "currency", "credit_limit_minor", "highest_credit_minor",
    "current_balance_minor", "amount_past_due_minor", "scheduled_payment_minor",
    "actual_payment_minor", "charge_off_amount_minor", "account_status", "payment_rating",
    "payment_history_profile", "first_delinquency_date", "last_payment_date", "special_comment",
)  # fmt: skip


def _account_states(as_of: str) -> str:
    """Linked account states reported on or before the as-of date.

    A link without a consumer number links the primary consumer (0) only: an
    associated consumer (Metro 2 J1/J2) is a different person, and linking
    their row to the primary would count the account twice in one file.

    Each state also carries what the payment history needs from its slot
    (one window, sorted once): its place among the slot's reports
    (``report_seq``), their number (``slot_reports``), and the next report's
    month, own monthly status and profile (``next_*``), by which its months
    that a later report decides are dropped before any grouping
    (:func:`_history_points`).
    """
    cols = ", ".join(f"a.{c}" for c in (*_ACCOUNT_COLUMNS, "compliance_condition"))
    slot = ", ".join(f"a.{c}" for c in SLOT)
    order = ", ".join(f"a.{c}" for c in _REPORT_ORDER)
    window = f"OVER (PARTITION BY {slot} ORDER BY {order})"
    status_month = _status_month("a")
    return (
        f"SELECT l.subject_id, {cols}, ROW_NUMBER() {window} AS report_seq, "
        f"COUNT(*) OVER (PARTITION BY {slot}) AS slot_reports, "
        f"{_month_index('a.date_reported')} AS month_index, {status_month} AS status_month, "
        f"LEAD({_month_index('a.date_reported')}) {window} AS next_month_index, "
        f"LEAD({status_month}) {window} AS next_status_month, "
        f"LEAD(a.payment_history_profile) {window} AS next_profile "
        "FROM accounts AS a JOIN links AS l "
        "ON l.table_name = 'accounts' AND l.batch_id = a.batch_id "
        "AND l.record_no = a.record_no AND COALESCE(l.consumer_no, 0) = a.consumer_no "
        f"WHERE a.date_reported <= {as_of}"
    )


def _account_latest() -> str:
    """The latest state per slot: the last of its reports in report order.

    A filter on the states' own window (``report_seq`` of ``slot_reports``),
    not a second ranking window: with monthly reporting each slot has a dozen
    states or more, and a second sort of every state cost as much as the
    first. The report order (date, batch, record number) is unique within a
    slot but for a ledger row linked twice, whose two states are identical,
    so this is the state :func:`~xinyong.ledger.query.current` would rank
    first. ``DESC NULLS LAST`` there and ``ASC`` here agree because none of
    the order columns is ever NULL in the states.
    """
    cols = ", ".join(("subject_id", *_ACCOUNT_COLUMNS))
    return f"SELECT {cols} FROM file_account_states WHERE report_seq = slot_reports"


def _compliance() -> str:
    """The compliance condition in force per slot: the latest one furnished.

    Metro 2: a blank CCC keeps the previous value, and ``XR`` removes it, so
    the latest state alone does not say whether an account is disputed.
    """
    ranked = current(
        "file_ccc_reported", SLOT, _REPORT_ORDER, columns=(*SLOT, "compliance_condition")
    )
    return (
        f"SELECT {', '.join(SLOT)}, CASE WHEN compliance_condition = 'XR' THEN NULL "
        f"ELSE compliance_condition END AS compliance_condition FROM ({ranked}) AS c"
    )


def _account_items() -> str:
    """The latest state per slot with its negative item facts.

    The kind follows the Metro 2 status (and the payment rating where the
    status needs one); the end is when the debt was paid, settled or brought
    to zero, ``NULL`` while it is owed (CN art. 16 clock).
    """
    cols = ", ".join(f"s.{c}" for c in ("subject_id", *_ACCOUNT_COLUMNS))
    return (
        f"SELECT {cols}, c.compliance_condition, "
        f"COALESCE(c.compliance_condition IN {_DISPUTED_CCC}, FALSE) AS disputed, "
        "CASE WHEN s.portfolio_type = 'M' THEN 'mortgage' "
        "WHEN s.portfolio_type IN ('R', 'C') THEN 'revolving' "
        "WHEN s.portfolio_type = 'I' THEN 'instalment' "
        "WHEN s.portfolio_type = 'O' THEN 'open' ELSE 'other' END AS account_category, "
        f"(s.date_closed IS NULL AND s.account_status IN {_OPEN_STATUSES}) AS is_open, "
        "CASE WHEN s.account_status IN ('97', '64') OR s.payment_rating = 'L' THEN 'charge_off' "
        "WHEN s.account_status IN ('93', '62') OR s.payment_rating = 'G' THEN 'collection' "
        "WHEN s.account_status IN ('61', '63', '65', '71', '78', '80', '82', '83', '84', "
        "'88', '89', '94', '95', '96') THEN 'delinquent_account' "
        "WHEN s.account_status IN ('05', '13') AND s.payment_rating IN "
        "('1', '2', '3', '4', '5', '6') THEN 'delinquent_account' "
        "ELSE NULL END AS negative_kind, "
        "COALESCE(s.first_delinquency_date, h.first_derogatory_month, s.date_reported) "
        "AS delinquency_date, "
        f"CASE WHEN s.account_status IN {_PAID_STATUSES} "
        "THEN COALESCE(s.last_payment_date, s.date_closed, s.date_reported) "
        "WHEN s.account_status = '05' THEN COALESCE(s.date_closed, s.date_reported) "
        f"WHEN s.account_status IN {_DEFAULT_STATUSES} AND s.current_balance_minor = 0 "
        "THEN COALESCE(s.last_payment_date, s.date_closed, s.date_reported) "
        f"ELSE {_NULL_DATE} END AS ended_on, "
        f"(s.account_status IN ('DA', 'DF') OR s.ecoa_code = 'Z') AS deleted, "
        f"{account_item_id_sql('s')} AS item_id "
        "FROM file_account_latest AS s "
        f"LEFT JOIN file_ccc AS c ON {_slot_join('c', 's')} "
        "LEFT JOIN (SELECT furnisher_id, account_key, consumer_no, MIN(month) "
        "AS first_derogatory_month FROM file_history_merged "
        f"WHERE status IN {_DEROGATORY_CODES} GROUP BY furnisher_id, account_key, consumer_no) "
        f"AS h ON {_slot_join('h', 's')}"
    )


def _file_accounts(profile: Profile, as_of: str) -> str:
    kinds = {k: profile.retention[k] for k in sorted(ACCOUNT_KINDS - {NegativeKind.LATE_PAYMENT})}
    item = ItemColumns(
        event_date="delinquency_date",
        expires_on=_NULL_DATE,
        removed_on=_NULL_DATE,
        withdrawn="FALSE",
    )
    ages = ages_off_sql(profile, as_of, item, kinds)
    aged = f"(a.ages_off_on IS NOT NULL AND a.ages_off_on <= {as_of})"
    return (
        f"SELECT a.*, {aged} AS aged_off, (d.item_id IS NOT NULL) AS suppressed, "
        "(NOT a.deleted AND d.item_id IS NULL AND "
        f"(a.ages_off_on IS NULL OR {as_of} < a.ages_off_on)) AS shown, "
        f"{_hidden('a.deleted', 'd.item_id IS NOT NULL', aged)} AS hidden_reason "
        f"FROM (SELECT *, {ages} AS ages_off_on FROM file_account_items) AS a "
        f"LEFT JOIN {_SUPPRESSED} AS d ON d.item_id = a.item_id"
    )


# -- payment history ---------------------------------------------------------


def _status_month(alias: str) -> str:
    """The reported month's own status: Metro 2 tells it by the account status
    (and the payment rating), the profile starting with the month before. Paid
    after a derogatory event (61-64) and deletions (DA, DF) give no monthly code."""
    status, rating = f"{alias}.account_status", f"{alias}.payment_rating"
    return (
        f"CASE {status} WHEN '11' THEN '0' WHEN '71' THEN '1' WHEN '78' THEN '2' "
        "WHEN '80' THEN '3' WHEN '82' THEN '4' WHEN '83' THEN '5' WHEN '84' THEN '6' "
        "WHEN '93' THEN 'G' WHEN '94' THEN 'H' WHEN '95' THEN 'J' WHEN '96' THEN 'K' "
        f"WHEN '97' THEN 'L' WHEN '05' THEN {rating} WHEN '13' THEN {rating} "
        f"WHEN '65' THEN {rating} WHEN '88' THEN {rating} "
        f"WHEN '89' THEN {rating} ELSE NULL END"
    )


_MERGED_COLUMNS: Final = (
    "furnisher_id", "account_key", "consumer_no", "month_index", "status", "source",
    "date_reported", "batch_id", "record_no",
)  # fmt: skip
_HISTORY_POSITIONS: Final = ", ".join(f"({i})" for i in range(1, 25))


def _later_current(pos: str) -> str:
    """For a slot reported once: the month index of the first month after profile
    position ``pos`` that the report gives as current (0 or E), or NULL.

    The months after it are the positions before it (nearest first, read from
    the reversed prefix), then the reported month itself: what the window in
    :func:`_file_history` finds for a slot with several reports.
    """
    later = f"REVERSE(SUBSTRING(s.payment_history_profile, 1, {pos} - 1))"
    zero, extra = f"INSTR({later}, '0')", f"INSTR({later}, 'E')"
    nearest = (
        f"CASE WHEN {zero} = 0 THEN {extra} WHEN {extra} = 0 THEN {zero} "
        f"WHEN {zero} < {extra} THEN {zero} ELSE {extra} END"
    )
    return (
        f"CASE WHEN {nearest} > 0 THEN s.month_index - {pos} + {nearest} "
        "WHEN s.status_month IN ('0', 'E') THEN s.month_index ELSE NULL END"
    )


def _covered_by_next() -> str:
    """Per state: the profile position up to which its next report's profile
    covers its months (``next_covers``), or NULL when that report may leave one
    of them undecided (no next report, no profile, or a D or B in it).

    Position ``pos`` of a state is month ``month_index - pos``, which is
    position ``next_month_index - month_index + pos`` of the next report's
    profile: with a next profile free of D and B, every position up to
    ``next_covers`` is decided by it (:func:`_decided_by_next`), so it need not
    be expanded at all. Integers, computed once per state, so the expansion
    skips those positions before any ``SUBSTRING``.
    """
    blank = "(INSTR(next_profile, 'D') > 0 OR INSTR(next_profile, 'B') > 0)"
    covers = "LEAST(LENGTH(next_profile), 24) - (next_month_index - month_index)"
    return f"CASE WHEN COALESCE({blank}, TRUE) THEN NULL ELSE {covers} END"


def _report_months(where: str, *, later_current: bool = False, skip_covered: bool = False) -> str:
    """Every month the states matching ``where`` describe, "not yet open" (B)
    left out: 24 profile positions plus the reported month (its own status).

    Only the profile expansion is a cross join; a state's own month is a
    second branch, so each state is read twice but never grouped here.
    ``later_current`` adds ``later_current_index`` (:func:`_later_current`),
    valid only where the slot has no other report. ``skip_covered`` leaves
    out the positions the next report's profile surely decides
    (:func:`_covered_by_next`): a slot reported monthly then expands about
    one position per report instead of 24.
    """
    keys = "s.furnisher_id, s.account_key, s.consumer_no"
    order = "s.date_reported, s.batch_id, s.record_no, s.report_seq"
    nexts = "s.next_month_index, s.next_status_month, s.next_profile"
    profile_later = status_later = ""
    if later_current:
        profile_later = f", {_later_current('p.pos')} AS later_current_index"
        status_later = ", CAST(NULL AS BIGINT) AS later_current_index"
    states = "file_account_states"
    covered = ""
    if skip_covered:
        states = f"(SELECT *, {_covered_by_next()} AS next_covers FROM file_account_states)"
        covered = "AND (s.next_covers IS NULL OR p.pos > s.next_covers) "
    return (
        f"SELECT {keys}, s.month_index - p.pos AS month_index, "
        f"SUBSTRING(s.payment_history_profile, p.pos, 1) AS status, 'profile' AS source, "
        f"{order}, {nexts}{profile_later} "
        f"FROM {states} AS s CROSS JOIN (VALUES {_HISTORY_POSITIONS}) AS p(pos) "
        f"WHERE ({where}) {covered}AND p.pos <= LENGTH(s.payment_history_profile) "
        "AND SUBSTRING(s.payment_history_profile, p.pos, 1) <> 'B' "
        f"UNION ALL SELECT {keys}, s.month_index, s.status_month AS status, "
        f"'status' AS source, {order}, {nexts}{status_later} "
        f"FROM file_account_states AS s WHERE ({where}) AND s.status_month IS NOT NULL "
        "AND s.status_month <> 'B'"
    )


def _decided_by_next() -> str:
    """Whether the slot's next report gives this month a status other than no
    data (D) or not yet open (B): that report outranks this one in the merge
    (:func:`_history_merged`), so this month of this report can never win."""
    gap = "(next_month_index - month_index)"
    return (
        "COALESCE((month_index = next_month_index AND next_status_month NOT IN ('B', 'D')) "
        f"OR ({gap} BETWEEN 1 AND 24 AND {gap} <= LENGTH(next_profile) "
        f"AND SUBSTRING(next_profile, CAST({gap} AS INT), 1) NOT IN ('B', 'D')), FALSE)"
    )


def _history_points() -> str:
    """The months of the slots reported more than once, as candidates for the
    merge: those the next report decides are dropped here, so a slot reported
    monthly brings about one month per report into the grouping, not 25."""
    cols = ", ".join(c for c in _MERGED_COLUMNS if c != "month_index")
    months = _report_months("s.slot_reports > 1", skip_covered=True)
    return (
        f"SELECT month_index, {cols}, report_seq FROM ({months}) "
        f"AS m WHERE NOT {_decided_by_next()}"
    )


def _history_grouped() -> str:
    """One status per month of the slots reported more than once: the latest
    report wins, but "no data" (D) never overrides a month some report did
    describe.

    A grouped ``ARG_MAX`` (Spark: ``MAX_BY``) over one integer priority, not a
    window: each report gives a month at most once, so the priority is unique.
    """
    partition = ", ".join(SLOT)
    priority = "CASE WHEN status = 'D' THEN 0 ELSE 1000000000 END + report_seq"
    picks = ", ".join(
        f"ARG_MAX({c}, {priority}) AS {c}"
        for c in ("status", "source", "date_reported", "batch_id", "record_no")
    )
    return (
        f"SELECT {partition}, month_index, {picks} FROM file_history_points "
        f"GROUP BY {partition}, month_index"
    )


def _history_merged() -> str:
    """One status per slot and month (B dropped): a slot reported once has one
    status per month already, so only the others went through the grouping.

    ``single`` marks the months of a slot reported once, whose
    ``later_current_index`` is set (NULL for the others).
    A view over the stored states and the grouped months, recomputed by each
    of its two readers: cheaper than storing some 22 rows per account.
    """
    cols = ", ".join(_MERGED_COLUMNS)
    single = _report_months("s.slot_reports = 1", later_current=True)
    return (
        f"SELECT {cols}, {_month_date('month_index')} AS month, single, later_current_index "
        f"FROM (SELECT {cols}, TRUE AS single, later_current_index FROM ({single}) AS one "
        f"UNION ALL SELECT {cols}, FALSE AS single, CAST(NULL AS BIGINT) AS later_current_index "
        "FROM file_history_grouped) AS merged"
    )


def _file_history(profile: Profile, as_of: str) -> str:
    """Merged months with lateness, severity and their own ageing.

    A late month is ``late_payment``: it ends (CN) at the first later month
    reported current, or when the account was paid or settled.
    """
    partition = ", ".join(f"h.{c}" for c in SLOT)
    kinds = {NegativeKind.LATE_PAYMENT: profile.retention[NegativeKind.LATE_PAYMENT]}
    item = ItemColumns(
        delinquency_date="month",
        event_date="month",
        expires_on=_NULL_DATE,
        removed_on=_NULL_DATE,
        withdrawn="FALSE",
    )
    ages = ages_off_sql(profile, as_of, item, kinds)
    columns = (
        "SELECT a.subject_id, h.furnisher_id, h.account_key, h.consumer_no, h.month, "
        "h.month_index, h.status, "
        "CASE h.status WHEN '0' THEN 0 WHEN 'E' THEN 0 WHEN '1' THEN 30 WHEN '2' THEN 60 "
        "WHEN '3' THEN 90 WHEN '4' THEN 120 WHEN '5' THEN 150 WHEN '6' THEN 180 "
        "ELSE NULL END AS days_late, "
        "CASE h.status WHEN '0' THEN 0 WHEN 'E' THEN 0 WHEN '1' THEN 1 WHEN '2' THEN 2 "
        "WHEN '3' THEN 3 WHEN '4' THEN 4 WHEN '5' THEN 5 WHEN '6' THEN 6 WHEN 'G' THEN 7 "
        "WHEN 'H' THEN 7 WHEN 'J' THEN 7 WHEN 'K' THEN 7 WHEN 'L' THEN 8 "
        "ELSE NULL END AS severity, "
        "h.source, h.date_reported, h.batch_id, h.record_no, a.account_category, "
        "a.shown AS account_shown, a.item_id, "
        f"CASE WHEN h.status IN {_DEROGATORY_CODES} THEN 'late_payment' ELSE NULL END "
        "AS negative_kind, "
    )
    joined = f"FROM file_history_merged AS h JOIN file_accounts AS a ON {_slot_join('a', 'h')}"
    # The first later month reported current: read off the one report of a slot
    # reported once; a window over the merged months for the others (a sort of
    # every month of those slots).
    inner = (
        f"{columns}COALESCE({_month_date('h.later_current_index')}, a.ended_on) AS ended_on "
        f"{joined} WHERE h.single UNION ALL "
        f"{columns}COALESCE(MIN(CASE WHEN h.status IN ('0', 'E') THEN h.month END) OVER ("
        f"PARTITION BY {partition} ORDER BY h.month_index "
        "ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), a.ended_on) AS ended_on "
        f"{joined} WHERE NOT h.single"
    )
    return (
        "SELECT subject_id, furnisher_id, account_key, consumer_no, month, month_index, "
        "status, days_late, severity, source, date_reported, batch_id, record_no, "
        "account_category, negative_kind, ended_on, ages_off_on, "
        f"(ages_off_on IS NOT NULL AND ages_off_on <= {as_of}) AS aged_off, "
        f"(account_shown AND (ages_off_on IS NULL OR {as_of} < ages_off_on)) AS shown, "
        "item_id "
        f"FROM (SELECT *, {ages} AS ages_off_on FROM ({inner}) AS i) AS x"
    )


# -- public records ----------------------------------------------------------

_RECORD_COLUMNS: Final = (
    "furnisher_id", "record_ref", "batch_id", "record_no", "subject_kind", "kind", "authority",
    "document_number", "event_date", "filed_date", "currency", "amount_minor", "status",
    "removed_date", "expires_on", "description",
)  # fmt: skip


def _public_states(as_of: str) -> str:
    """Linked public records filed on or before the as-of date, their removal
    undone if it happened later (as of then, the record still stood)."""
    plain = [c for c in _RECORD_COLUMNS if c not in ("status", "removed_date")]
    later = f"r.removed_date > {as_of}"
    return (
        f"SELECT l.subject_id, {', '.join(f'r.{c}' for c in plain)}, "
        f"CASE WHEN {later} THEN 'active' ELSE r.status END AS status, "
        f"CASE WHEN {later} THEN {_NULL_DATE} ELSE r.removed_date END AS removed_date "
        "FROM public_records AS r JOIN links AS l ON l.table_name = 'public_records' "
        "AND l.batch_id = r.batch_id AND l.record_no = r.record_no "
        f"WHERE COALESCE(r.filed_date, r.event_date) <= {as_of}"
    )


def _file_public_records(profile: Profile, as_of: str) -> str:
    latest = current(
        "file_public_states",
        ("furnisher_id", "record_ref"),
        ("batch_id", "record_no"),
        columns=("subject_id", *_RECORD_COLUMNS),
    )
    cols = ", ".join(("subject_id", *_RECORD_COLUMNS))
    items = (
        f"SELECT {cols}, "
        f"(status = 'active' AND (expires_on IS NULL OR {as_of} < expires_on)) AS in_force, "
        "kind AS negative_kind, event_date AS delinquency_date, "
        "CASE WHEN status IN ('satisfied', 'removed', 'withdrawn') THEN removed_date "
        f"ELSE {_NULL_DATE} END AS ended_on, "
        "CASE WHEN status IN ('removed', 'withdrawn') THEN removed_date "
        f"ELSE {_NULL_DATE} END AS removed_on, "
        f"(status = 'withdrawn') AS withdrawn, {public_record_item_id_sql()} AS item_id "
        f"FROM ({latest}) AS p"
    )
    ages = ages_off_sql(profile, as_of)
    aged = f"(x.ages_off_on IS NOT NULL AND x.ages_off_on <= {as_of})"
    return (
        f"SELECT {', '.join(f'x.{c}' for c in ('subject_id', *_RECORD_COLUMNS))}, x.in_force, "
        f"x.negative_kind, x.ended_on, x.ages_off_on, {aged} AS aged_off, "
        "(d.item_id IS NOT NULL) AS suppressed, "
        f"(d.item_id IS NULL AND (x.ages_off_on IS NULL OR {as_of} < x.ages_off_on)) AS shown, "
        "x.item_id, "
        f"{_hidden('FALSE', 'd.item_id IS NOT NULL', aged)} AS hidden_reason "
        f"FROM (SELECT *, {ages} AS ages_off_on FROM ({items}) AS i) AS x "
        f"LEFT JOIN {_SUPPRESSED} AS d ON d.item_id = x.item_id"
    )


def _file_subjects() -> str:
    """Every subject with a record in the file, and its kind as furnished (the
    majority; a tie reads as a person)."""
    return (
        "SELECT subject_id, CASE WHEN SUM(CASE WHEN subject_kind = 'enterprise' THEN 1 ELSE 0 "
        "END) > SUM(CASE WHEN subject_kind = 'enterprise' THEN 0 ELSE 1 END) "
        "THEN 'enterprise' ELSE 'person' END AS subject_kind FROM ("
        "SELECT subject_id, subject_kind FROM file_account_states UNION ALL "
        "SELECT subject_id, subject_kind FROM file_public_states) AS r GROUP BY subject_id"
    )


def file_steps(profile: Profile, as_of: date) -> list[Step]:
    """The ordered steps that build the credit files as of ``as_of`` under ``profile``."""
    at = date_literal(as_of)
    return [
        Step("file_account_states", _account_states(at)),
        Step("file_account_latest", _account_latest(), view=True),
        Step(
            "file_ccc_reported",
            "SELECT * FROM file_account_states WHERE compliance_condition IS NOT NULL",
        ),
        Step("file_ccc", _compliance()),
        Step("file_history_points", _history_points()),
        Step("file_history_grouped", _history_grouped()),
        Step("file_history_merged", _history_merged(), view=True),
        Step("file_account_items", _account_items()),
        Step("file_accounts", _file_accounts(profile, at)),
        Step("file_history", _file_history(profile, at)),
        Step("file_public_states", _public_states(at)),
        Step("file_public_records", _file_public_records(profile, at)),
        Step("file_subjects", _file_subjects()),
    ]
