"""The Metro 2 record rules as SQL, generated from the layout tables and code lists.

Fields are cut out of each record's text with ``substr`` at the positions of
:mod:`xinyong.ingest.metro2.layout` (the layouts are data; so is this SQL),
and each rule of :mod:`xinyong.ingest.metro2.rules` becomes a condition and
a violation with the same segment label, field, rule code and message, in
the order ``validate_record`` reports them. The mapping onto canonical
account fields and the identity checks follow ``metro2_format.check``.

Covered here: records made of a base segment alone, or a base segment and
one J1 segment (by far the commonest shapes). Any other record goes through
the reference path.
"""

from __future__ import annotations

from typing import Final

from xinyong.ingest.ledger_tables import ACCOUNTS_SCHEMA
from xinyong.ingest.metro2 import codes
from xinyong.ingest.metro2.layout import BASE, J1, MONEY_FIELDS, TRAILER_STATUS_CODES, Layout
from xinyong.ingest.metro2_format import CENTS_PER_DOLLAR

from .sqltext import any_of, hmac_sha256, ident, list_of, literal, mask, violation

J1_OFFSET: Final = BASE.length
"""J1 starts right after the 426-byte base segment (RDW included)."""

_NEGATIVE: Final = "^ *-[0-9]+ *$|^[0-9]*[}J-R]$"
"""``rules._NEGATIVE`` (no ``\\d``: RE2 and Python agree on ASCII digits)."""
_NO_SSN: Final = ("000000000", "999999999")
_OBSOLETE: Final = {"ecoa_code": ("0", "4", "6"), "consumer_information_indicator": ("W", "X", "Y")}

Checks = list[tuple[str, str]]


def col(prefix: str, name: str) -> str:
    """The column holding field ``name`` of the segment with ``prefix`` (``b_``, ``j_``)."""
    return ident(prefix + name)


def field_columns(layout: Layout, prefix: str, offset: int = 0) -> list[str]:
    """SELECT items cutting every data field of a segment out of the record text ``rec``."""
    return [
        f"substr(rec, {offset + f.start}, {f.length}) AS {col(prefix, f.name)}"
        for f in layout.data_fields
    ]


def digits(prefix: str, name: str) -> str:
    """Whether a numeric field is all digits (a :func:`feature_columns` column)."""
    return ident(f"dig_{prefix}{name}")


def date_of(prefix: str, name: str) -> str:
    """``Segment.date`` of a date field (a :func:`feature_columns` column)."""
    return ident(f"dv_{prefix}{name}")


def date_ok(prefix: str, name: str) -> str:
    """Whether a date or timestamp field is valid for ``check_dates`` (a feature column)."""
    return ident(f"dok_{prefix}{name}")


def feature_columns() -> list[str]:
    """Per-field tests that several rules share, computed once per record.

    DuckDB evaluates an expression once per occurrence, so a field's digits
    test or date parse that three rules use would otherwise run three times.
    """
    out: list[str] = []
    for prefix, layout in (("b_", BASE), ("j_", J1)):
        for f in layout.data_fields:
            raw = col(prefix, f.name)
            if f.kind == "numeric":
                out.append(f"{_digits(raw)} AS {digits(prefix, f.name)}")
            elif f.kind == "date":
                out.append(f"{_parsed_date(raw)} AS {date_of(prefix, f.name)}")
                out.append(
                    f"coalesce({date_of(prefix, f.name)} IS NOT NULL "
                    f"AND substr({raw}, 5, 4) >= '1900', false) AS {date_ok(prefix, f.name)}"
                )
            elif f.kind == "timestamp":
                out.append(
                    f"coalesce({_rule_date(raw, 'timestamp')}, false) AS {date_ok(prefix, f.name)}"
                )
    return out


def _list(values: object) -> str:
    return ", ".join(literal(str(v)) for v in sorted(values))  # type: ignore[call-overload]


def _digits(expr: str) -> str:
    return f"regexp_full_match({expr}, '[0-9]+')"


def _valid_date(raw: str) -> str:
    """``Segment.date`` would give a date: 8 digits, a real calendar date (year 1 or later)."""
    iso = f"substr({raw}, 5, 4) || '-' || substr({raw}, 1, 2) || '-' || substr({raw}, 3, 2)"
    return (
        f"({_digits(raw)} AND substr({raw}, 5, 4) <> '0000' "
        f"AND TRY_CAST({iso} AS DATE) IS NOT NULL)"
    )


def _parsed_date(raw: str) -> str:
    """``Segment.date``: the date, or NULL for zeros, blanks and non-dates."""
    iso = f"substr({raw}, 5, 4) || '-' || substr({raw}, 1, 2) || '-' || substr({raw}, 3, 2)"
    return f"CASE WHEN {_valid_date(raw)} THEN TRY_CAST({iso} AS DATE) END"


def _rule_date(raw: str, kind: str) -> str:
    """``check_dates``' notion of valid: a date (or timestamp) in 1900 or later."""
    ok = f"({_valid_date(f'substr({raw}, 1, 8)')} AND substr({raw}, 5, 4) >= '1900')"
    if kind == "date":
        return ok
    return (
        f"({ok} AND {_digits(raw)} AND substr({raw}, 9, 2) <= '23' "
        f"AND substr({raw}, 11, 2) <= '59' AND substr({raw}, 13, 2) <= '59')"
    )


def segment_checks(label: str, name: str, layout: Layout, prefix: str, when: str) -> Checks:
    """``rules.SEGMENT_RULES`` for one segment, in their order, each over the layout's fields."""
    seg = literal(label)
    out: Checks = []
    fields = layout.data_fields

    def add(cond: str, field: str, rule: str, message: str, **kw: str) -> None:
        out.append(
            (f"{when} AND ({cond})", violation(literal(field), literal(rule), message, seg, **kw))
        )

    for f in fields:  # check_required
        if f.required and f.name != "segment_identifier":
            raw = col(prefix, f.name)
            zeros = (
                f" OR {raw} = {literal('0' * f.length)}" if f.kind in ("date", "timestamp") else ""
            )
            add(f"trim({raw}) = ''{zeros}", f.name, "required", literal(f"{f.name} is required"))
    for f in fields:  # check_numeric
        if f.kind == "numeric":
            raw = col(prefix, f.name)
            skips = [f"NOT {digits(prefix, f.name)}"]
            if f.required:
                skips.append(f"trim({raw}) <> ''")
            if f.name in MONEY_FIELDS:
                skips.append(f"NOT regexp_matches({raw}, {literal(_NEGATIVE)})")
            add(
                " AND ".join(skips),
                f.name,
                "numeric",
                literal(f"{f.name} must be digits, got "),
                arg=raw,
            )
    for f in fields:  # check_dates
        if f.kind in ("date", "timestamp"):
            raw = col(prefix, f.name)
            given = f"{raw} <> {literal('0' * f.length)}"
            if not f.required:
                add(
                    f"trim({raw}) = ''",
                    f.name,
                    "date",
                    literal(f"{f.name} is blank; absent dates are zero-filled"),
                )
            shape = "MMDDYYYY" if f.kind == "date" else "MMDDYYYYHHMMSS"
            add(
                f"{given} AND trim({raw}) <> '' AND NOT {date_ok(prefix, f.name)}",
                f.name,
                "date",
                literal(f"{f.name} "),
                arg=raw,
                tail=literal(f" is not a valid {shape} date"),
            )
    for f in fields:  # check_codes
        code_list = codes.FIELD_CODES.get((name, f.name))
        if code_list is not None:
            value = f"trim({col(prefix, f.name)})"
            obsolete = _OBSOLETE.get(f.name, ())
            tail = (
                f"CASE WHEN {value} IN ({_list(obsolete)}) THEN ' is obsolete code' "
                "ELSE ' is not a valid code' END"
                if obsolete
                else "' is not a valid code'"
            )
            add(
                f"{value} <> '' AND {value} NOT IN ({_list(code_list)})",
                f.name,
                "code_list",
                literal(f"{f.name} "),
                arg=value,
                tail=tail,
            )
    for money in sorted(MONEY_FIELDS & {f.name for f in fields}):  # check_non_negative
        raw = col(prefix, money)
        negative = f"NOT {digits(prefix, money)} AND regexp_matches({raw}, {literal(_NEGATIVE)})"
        add(
            negative,
            money,
            "non_negative",
            literal(f"{money} "),
            arg=raw,
            tail="' is negative; report credit balances as 0'",
        )
    ecoa = f"rtrim({col(prefix, 'ecoa_code')})"
    no_dob = f"regexp_full_match({col(prefix, 'date_birth')}, '[0 ]*')"
    add(
        f"{ecoa} <> {literal(codes.ECOA_BUSINESS)} AND NOT {has_ssn(prefix)} AND {no_dob}",
        "social_security_number",
        "ssn_or_dob_required",
        literal("neither a social security number nor a date of birth is reported"),
    )
    add(
        f"{ecoa} = {literal(codes.ECOA_AUTHORIZED_USER)} AND {no_dob}",
        "date_birth",
        "dob_required_authorized_user",
        literal("authorised users (ECOA 3) must be reported with a date of birth"),
    )
    return out


def has_ssn(prefix: str) -> str:
    """``trailer._has_ssn``: the SSN field is digits and not all 0s or 9s."""
    ssn = col(prefix, "social_security_number")
    return f"({digits(prefix, 'social_security_number')} AND {ssn} NOT IN ({_list(_NO_SSN)}))"


def _php_invalid_positions(php: str) -> str:
    """``check_payment_history``'s list ``1:'x', 5:' '`` of characters outside the code list."""
    allowed = _list(codes.PAYMENT_HISTORY)
    c = f"substr({php}, i::BIGINT, 1)"
    # repr() of one printable ASCII character; a quote and a backslash are special.
    shown = (
        f"CASE WHEN {c} = '''' THEN '\"''\"' WHEN {c} = '\\' THEN '''\\\\''' "
        f"ELSE '''' || {c} || '''' END"
    )
    return (
        f"array_to_string(list_transform(list_filter(range(1, length({php}) + 1), "
        f"lambda i: NOT list_contains([{allowed}], {c})), "
        f"lambda i: CAST(i AS VARCHAR) || ':' || ({shown})), ', ')"
    )


def record_checks() -> Checks:
    """``rules.RECORD_RULES`` over the base segment, in their order."""
    out: Checks = []

    def b(name: str) -> str:
        return col("b_", name)

    def add(cond: str, field: str, rule: str, message: str, **kw: str) -> None:
        out.append((cond, violation(literal(field), literal(rule), message, "'base'", **kw)))

    php = b("payment_history_profile")
    history = "".join(sorted(codes.PAYMENT_HISTORY))
    add(
        f"trim({php}) <> '' AND NOT regexp_full_match({php}, {literal('[' + history + ']*')})",
        "payment_history_profile",
        "code_list",
        "'payment_history_profile has invalid values at positions ' || "
        + _php_invalid_positions(php),
    )
    add(
        f"trim({php}) <> '' AND strpos({php}, 'B') > 0 AND "
        f"trim(substr({php}, strpos({php}, 'B')), 'B') <> ''",
        "payment_history_profile",
        "php_order",
        literal("B (no history) is followed by other values; B may only fill the oldest months"),
    )
    terms = b("terms_duration")
    add(
        f"trim({terms}) <> '' AND {terms} NOT IN ({_list(codes.TERMS_DURATION_CONSTANTS)}) "
        f"AND NOT {_digits(terms)}",
        "terms_duration",
        "terms_duration",
        "'terms_duration '",
        arg=terms,
        tail="' is not LOC, REV or digits'",
    )
    dai = date_of("b_", "date_account_information")
    for name in ("date_opened", "date_first_delinquency", "date_closed", "date_last_payment"):
        value = date_of("b_", name)
        add(
            f"{value} > {dai}",
            name,
            "date_order",
            f"{literal(name + ' ')} || CAST({value} AS VARCHAR) || "
            f"' is after date_account_information ' || CAST({dai} AS VARCHAR)",
        )
    opened, closed = date_of("b_", "date_opened"), date_of("b_", "date_closed")
    add(
        f"{closed} < {opened}",
        "date_closed",
        "date_order",
        f"'date_closed ' || CAST({closed} AS VARCHAR) || ' is before date_opened ' || "
        f"CAST({opened} AS VARCHAR)",
    )
    status, rating = f"rtrim({b('account_status')})", b("payment_rating")
    needing = _list(codes.STATUSES_NEEDING_PAYMENT_RATING)
    others = _list(set(codes.ACCOUNT_STATUS) - codes.STATUSES_NEEDING_PAYMENT_RATING)
    add(
        f"{status} IN ({needing}) AND trim({rating}) = ''",
        "payment_rating",
        "payment_rating_required",
        f"'account status ' || {status} || ' needs a payment rating'",
    )
    add(
        f"{status} IN ({others}) AND trim({rating}) <> ''",
        "payment_rating",
        "payment_rating_forbidden",
        f"'payment rating must be blank with account status ' || {status}",
    )
    reason = dofd_reason()
    dofd = b("date_first_delinquency")
    add(
        f"({reason}) IS NOT NULL AND {dofd} = '00000000'",
        "date_first_delinquency",
        "dofd_required",
        f"({reason}) || ' needs a date of first delinquency'",
    )
    add(
        f"({reason}) IS NULL AND {dofd} <> '00000000' AND {status} IN ('11', '05', '13')",
        "date_first_delinquency",
        "dofd_not_applicable",
        literal("no delinquency or bankruptcy calls for a date of first delinquency; zero-fill it"),
    )
    charge_off = b("original_charge_off_amount")
    charge_off_statuses = _list(codes.STATUSES_NEEDING_CHARGE_OFF_AMOUNT)
    add(
        f"{status} IN ({charge_off_statuses}) AND {digits('b_', 'original_charge_off_amount')} "
        f"AND TRY_CAST({charge_off} AS BIGINT) = 0",
        "original_charge_off_amount",
        "charge_off_amount_required",
        f"'account status ' || {status} || ' needs the original charge-off amount'",
    )
    past_due = (
        f"CASE WHEN {digits('b_', 'amount_past_due')} "
        f"THEN TRY_CAST({b('amount_past_due')} AS BIGINT) ELSE 0 END"
    )
    add(
        f"{status} = '11' AND {past_due} > 0",
        "amount_past_due",
        "past_due_on_current",
        f"'amount_past_due is ' || CAST({past_due} AS VARCHAR) || "
        "' on a current (11) account; it should be 0'",
    )
    ident_no = f"trim({b('identification_number')})"
    add(
        f"{ident_no} <> '' AND (length({ident_no}) < 5 OR NOT regexp_full_match({ident_no}, "
        f"'[A-Za-z0-9]+') OR regexp_full_match({ident_no}, '0+|9+'))",
        "identification_number",
        "identification_number",
        "'identification_number '",
        arg=ident_no,
        tail="' must be 5+ letters or digits, not all 0s or 9s'",
    )
    ssn = b("social_security_number")
    add(
        f"{has_ssn('b_')} AND contains(regexp_replace({b('consumer_account_number')}, "
        f"'[^0-9]', '', 'g'), {ssn})",
        "consumer_account_number",
        "account_number_contains_ssn",
        literal("consumer_account_number contains the social security number"),
    )
    return out


def dofd_reason() -> str:
    """``rules._dofd_reason``: why the CRRG hierarchy needs a DOFD, or NULL."""
    status = f"rtrim({col('b_', 'account_status')})"
    rating = f"rtrim({col('b_', 'payment_rating')})"
    cii = f"rtrim({col('b_', 'consumer_information_indicator')})"
    current = f"({status} = '11' OR ({status} IN ('05', '13') AND {rating} = '0'))"
    return (
        f"CASE WHEN {status} IN ({_list(codes.STATUSES_NEEDING_DOFD)}) "
        f"THEN 'account status ' || {status} "
        f"WHEN {status} IN ('05', '13') "
        f"AND {rating} IN ({_list(codes.DELINQUENT_PAYMENT_RATINGS)}) "
        f"THEN 'account status ' || {status} || ' with payment rating ' || {rating} "
        f"WHEN {current} AND {cii} IN ({_list(codes.BANKRUPTCY_INDICATORS)}) "
        f"THEN 'consumer information indicator ' || {cii} || ' (the petition date)' END"
    )


# --- canonical values and identity (metro2_format.canonical_values, build_row) ---------


def _blank_null(expr: str) -> str:
    return f"nullif(trim({expr}), '')"


def names(prefix: str) -> tuple[str, str]:
    """``family_name`` and ``given_names`` as ``canonical_values`` builds them."""
    first, middle = _blank_null(col(prefix, "first_name")), _blank_null(col(prefix, "middle_name"))
    given = (
        f"CASE WHEN {first} IS NOT NULL AND {middle} IS NOT NULL "
        f"THEN {first} || ' ' || {middle} ELSE coalesce({first}, {middle}) END"
    )
    return _blank_null(col(prefix, "surname")), given


def ssn_value(prefix: str) -> str:
    """The identifier value ``canonical_values`` furnishes: the SSN if it is a nonzero number."""
    ssn = col(prefix, "social_security_number")
    ok = digits(prefix, "social_security_number")
    return f"CASE WHEN {ok} AND TRY_CAST({ssn} AS BIGINT) <> 0 THEN {ssn} END"


def identity_checks(prefix: str, segment: str, when: str) -> Checks:
    """``identity_columns`` for a Metro 2 consumer: a person with names and maybe an SSN."""
    family, given = names(prefix)
    seg = literal(segment)
    return [
        (
            f"{when} AND ({family} IS NULL OR {given} IS NULL)",
            violation(
                "'family_name'",
                "'required'",
                "'a person needs family_name and given_names, or full_name'",
                seg,
            ),
        ),
        (
            f"{when} AND {ssn_value(prefix)} IS NOT NULL AND NOT {prefix}id_ok",
            violation("'id_value'", f"{prefix}id_rule", f"{prefix}id_message", seg),
        ),
    ]


def base_checks() -> Checks:
    """Every problem of the record as ``metro2_format.check`` finds it for the base consumer."""
    return [
        *segment_checks("base", "base", BASE, "b_", "true"),
        *segment_checks("J1[1]", "J1", J1, "j_", "_has_j1"),
        *record_checks(),
        *identity_checks("b_", "base", "true"),
    ]


def j1_checks() -> Checks:
    """The J1 consumer's own identity problems (reported only when the base is clean)."""
    return identity_checks("j_", "J1", "_has_j1")


def violations_sql() -> tuple[str, str, str]:
    """(base has problems, J1 has problems, the violation list the reference reports)."""
    base, j1 = base_checks(), j1_checks()
    listed = (
        f"CASE WHEN {any_of(base)} THEN {list_of(base)} WHEN {any_of(j1)} THEN {list_of(j1)} END"
    )
    return any_of(base), any_of(j1), listed


def row_columns(hash_key: bytes, furnisher_id: str, prefix: str, consumer_no: int) -> list[str]:
    """Ledger row columns of the base consumer (``b_``) or the J1 consumer (``j_``)."""

    def b(name: str) -> str:
        return col("b_", name)

    def p(name: str) -> str:
        return col(prefix, name)

    family, given = names(prefix)
    account = f"trim({b('consumer_account_number')})"
    key = f"{literal('account|' + furnisher_id + '|')} || {account}"
    ssn = ssn_value(prefix)
    phone = f"nullif(ltrim(trim({p('telephone_number')}), '0'), '')"

    def dollars(name: str) -> str:
        raw = b(name)
        cents = f"TRY_CAST({raw} AS BIGINT) * {CENTS_PER_DOLLAR}"
        return f"CASE WHEN {digits('b_', name)} THEN {cents} END"

    values = {
        "record_no": "_rn",
        "location": "'offset ' || _off",
        "subject_kind": "'person'",
        "family_name": family,
        "given_names": given,
        "full_name": "NULL",
        "legal_name": "NULL",
        "birth_date": date_of(prefix, "date_birth"),
        "registration_date": "NULL",
        "id_scheme": f"CASE WHEN {ssn} IS NOT NULL THEN 'us_ssn' END",
        "id_country": f"{prefix}id_country",
        "id_hash": f"{prefix}id_hash",
        "id_masked": f"{prefix}id_masked",
        "address_line1": _blank_null(b("first_line_address")),
        "address_line2": _blank_null(b("second_line_address")),
        "city": _blank_null(b("city")),
        "region": _blank_null(b("state")),
        "postal_code": _blank_null(b("zip_code")),
        "country": f"coalesce({_blank_null(b('country_code'))}, 'US')",
        "phone": phone,
        "warnings": f"{prefix}id_warnings",
        "account_key": hmac_sha256(hash_key, key),
        "consumer_no": f"CAST({consumer_no} AS INTEGER)",
        "account_number_masked": mask(account),
        "portfolio_type": f"rtrim({b('portfolio_type')})",
        "account_type": f"rtrim({b('account_type')})",
        "ecoa_code": f"rtrim({p('ecoa_code')})",
        "date_opened": date_of("b_", "date_opened"),
        "date_closed": date_of("b_", "date_closed"),
        "date_reported": date_of("b_", "date_account_information"),
        "currency": "'USD'",
        "credit_limit_minor": dollars("credit_limit"),
        "highest_credit_minor": dollars("highest_credit"),
        "current_balance_minor": dollars("current_balance"),
        "amount_past_due_minor": dollars("amount_past_due"),
        "scheduled_payment_minor": dollars("scheduled_monthly_payment_amount"),
        "actual_payment_minor": dollars("actual_payment_amount"),
        "charge_off_amount_minor": dollars("original_charge_off_amount"),
        "account_status": f"rtrim({b('account_status')})",
        "payment_rating": _blank_null(b("payment_rating")),
        "payment_history_profile": _blank_null(b("payment_history_profile")),
        "first_delinquency_date": date_of("b_", "date_first_delinquency"),
        "last_payment_date": date_of("b_", "date_last_payment"),
        "special_comment": _blank_null(b("special_comment")),
        "compliance_condition": _blank_null(b("compliance_condition_code")),
    }
    if set(values) != set(ACCOUNTS_SCHEMA.names):
        raise AssertionError(f"ledger columns differ: {set(values) ^ set(ACCOUNTS_SCHEMA.names)}")
    # The J1 consumer's row exists only where there is a J1 segment: compute it only there.
    only = "{}" if prefix == "b_" else "CASE WHEN _has_j1 THEN {} END"
    return [
        f"{only.format(values[n])} AS {ident(prefix + 'out_' + n)}" for n in ACCOUNTS_SCHEMA.names
    ]


def trailer_sql() -> list[str]:
    """Aggregates giving the trailer totals of the simple records (``trailer.trailer_totals``)."""
    people = [("base", "b_", "true"), ("j1", "j_", "_has_j1")]
    status = f"rtrim({col('b_', 'account_status')})"
    out = [
        f"count(*) FILTER (WHERE {status} = {literal(code)}) AS total_status_code_{code.lower()}"
        for code in TRAILER_STATUS_CODES
    ]
    out.append("count(*) FILTER (WHERE _has_j1) AS total_consumer_segments_j1")
    ecoa_z = " + ".join(
        f"count(*) FILTER (WHERE {when} AND rtrim({col(p, 'ecoa_code')}) = 'Z')"
        for _, p, when in people
    )
    out.append(f"{ecoa_z} AS total_ecoa_code_z")
    phones, ssns, births = [], [], []
    for where, prefix, when in people:
        ssns.append(f"count(*) FILTER (WHERE {when} AND {has_ssn(prefix)})")
        births.append(
            f"count(*) FILTER (WHERE {when} AND {date_of(prefix, 'date_birth')} IS NOT NULL)"
        )
        out.append(f"{ssns[-1]} AS total_social_numbers_{where}_segments")
        out.append(f"{births[-1]} AS total_dates_birth_{where}_segments")
        phone = col(prefix, "telephone_number")
        phones.append(
            f"count(*) FILTER (WHERE {when} AND {digits(prefix, 'telephone_number')} "
            f"AND TRY_CAST({phone} AS BIGINT) > 0)"
        )
    out.append(f"{' + '.join(ssns)} AS total_social_numbers_all_segments")
    out.append(f"{' + '.join(births)} AS total_dates_birth_all_segments")
    out.append(f"{' + '.join(phones)} AS total_telephone_numbers_all_segments")
    return out
