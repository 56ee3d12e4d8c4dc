"""The canonical record checks as SQL, generated from the published JSON Schemas.

:mod:`xinyong.ingest.canonical_schema` compiles each schema property into a
Python check; this module compiles the same properties into SQL expressions
with the same outcome (field, rule and message) for every input, so that a
whole file is checked in one vectorised DuckDB query. The cross-field rules
of :mod:`xinyong.ingest.canonical_rules` and the identity rules of
:mod:`xinyong.ingest.identity` follow, with their code lists taken from the
domain enums (``AccountStatus.needs_payment_rating`` and friends are
evaluated here, in Python, for every code, and the answers become SQL lists),
so that a code added to the domain reaches both paths.

A staged source relation provides, per record: ``_rn`` (record number),
``_loc`` (location), ``_ref`` (the source already knows the record needs the
reference path), ``_unknown_<kind>`` (names of furnished fields outside that
kind's schema, in furnished order) and for every known field ``f`` present in
the file ``v_f`` (the value as Python's ``str()`` would give it, NULL for
None) and, where a field can hold more than one type, ``t_f``: ``s`` text,
``i`` integer, ``d`` date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from xinyong.domain.account_codes import AccountStatus, PaymentRating
from xinyong.domain.public_records import PublicRecordKind
from xinyong.domain.subjects import SubjectKind
from xinyong.ingest.canonical_rules import ACCOUNT_AMOUNTS, ACCOUNT_FIELDS, PUBLIC_RECORD_FIELDS
from xinyong.ingest.canonical_schema import kind_schema, missing_required
from xinyong.ingest.identity import ENTERPRISE_SCHEMES, PERSON_SCHEMES
from xinyong.ingest.ledger_tables import ACCOUNTS_SCHEMA, PUBLIC_RECORDS_SCHEMA
from xinyong.ingest.text import KINDS

from .sqltext import (
    VIOLATION_FIELDS,
    ViolationSQL,
    any_of,
    constant,
    hmac_sha256,
    ident,
    literal,
    mask,
    violation,
)

CONTROL_RE2: Final = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
"""``canonical_schema._CONTROL`` in RE2 syntax (DuckDB and Arrow both use RE2)."""
_REPLACEMENT: Final = "chr(65533)"
_INTEGER: Final = "'[+-]?[0-9]+'"
_UNICODE_INTEGER: Final = "'[+-]?[0-9\\pN]+'"
_DATE: Final = "'[0-9]{4}-[0-9]{2}-[0-9]{2}'"
_UNICODE_DATE: Final = "'[0-9\\pN]{4}-[0-9\\pN]{2}-[0-9\\pN]{2}'"
_MAX_DIGITS: Final = 18
"""Longer integers may not fit int64: the reference path decides (it may crash, as designed)."""

OUTPUT_SCHEMAS: Final = {"account": ACCOUNTS_SCHEMA, "public_record": PUBLIC_RECORDS_SCHEMA}


class Unsupported(Exception):
    """The schema uses a feature this compiler does not translate; use the reference path."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One schema property, reduced to what decides its check."""

    name: str
    kind: str  # "int", "date" or "str"
    nullable: bool
    enum: tuple[str, ...] | None
    const: str | None
    pattern: str | None
    max_length: int | None
    min_length: int | None
    minimum: int | None
    must_be_given: bool = False
    """Required and nullable: null is valid, leaving the field out is not."""


def _spec(name: str, raw: Mapping[str, Any], required: bool = False) -> FieldSpec:
    known = {"type", "format", "enum", "const", "pattern", "maxLength", "minLength", "minimum"}
    extra = set(raw) - known - {"description"}
    if extra:
        raise Unsupported(f"{name}: schema keywords {sorted(extra)}")
    declared = raw.get("type", "string")
    types = set(declared) if isinstance(declared, list) else {declared}
    kind = "int" if "integer" in types else "date" if raw.get("format") == "date" else "str"
    enum = raw.get("enum")
    pattern = raw.get("pattern")
    if pattern is not None and not _simple_pattern(pattern):
        raise Unsupported(f"{name}: pattern {pattern!r}")
    return FieldSpec(
        name,
        kind,
        "null" in types,
        None if enum is None else tuple(v for v in enum if v is not None),
        raw.get("const"),
        pattern,
        raw.get("maxLength"),
        raw.get("minLength"),
        raw.get("minimum"),
        required and "null" in types,
    )


def _simple_pattern(pattern: str) -> bool:
    """Patterns RE2 and Python's ``re`` read alike: anchors, classes, counted repeats."""
    import re

    return re.fullmatch(r"\^?(\[[0-9A-Za-z\-]+\](\{\d+(,\d+)?\}|[+*?])?)+\$?", pattern) is not None


@cache
def field_specs(kind: str) -> tuple[FieldSpec, ...]:
    """The kind's properties in schema order (the order the reference reports them)."""
    schema = kind_schema(kind)
    # As in canonical_schema, a value may be None exactly when its type allows
    # null; a required field whose type allows null must still be given.
    return tuple(
        _spec(name, raw, name in schema.required)
        for name, raw in schema.document["properties"].items()
    )


@cache
def given_fields() -> frozenset[str]:
    """Fields of any kind that must be given even though null is a valid value."""
    return frozenset(s.name for kind in KINDS for s in field_specs(kind) if s.must_be_given)


@cache
def known_fields() -> dict[str, str]:
    """Every field of any kind and its value kind (the same in every kind, checked)."""
    out: dict[str, str] = {}
    for kind in KINDS:
        for spec in field_specs(kind):
            if out.setdefault(spec.name, spec.kind) != spec.kind:
                raise Unsupported(
                    f"{spec.name} is {out[spec.name]} in one kind, {spec.kind} in another"
                )
    return out


# --- per-field coercion (the same for every kind) -----------------------------


@dataclass(frozen=True, slots=True)
class StagedField:
    """How one field appears in the staged source.

    ``types``: the Python types its values can have (``s`` text, ``i``
    integer, ``d`` date); ``controls``: whether a ``ctl_<field>`` column says
    which values hold a control character (otherwise none does).
    """

    present: bool
    types: frozenset[str]
    controls: bool = False
    stripped: bool = False
    """Whether ``st_<field>`` exists; where stripping changes nothing it is ``v_<field>``."""
    given: str = "true"
    """SQL: the record has the field (a JSON key may be missing from one line only);
    meaningful only where ``present``."""

    def text(self, name: str) -> str:
        """The column holding the field's stripped text."""
        return ident(("st_" if self.stripped else "v_") + name)

    def type_is(self, name: str, code: str) -> str:
        if code not in self.types:
            return "false"
        if len(self.types) == 1:
            return "true"
        return f"({ident('t_' + name)} = '{code}')"


def _v(name: str) -> str:
    return ident("v_" + name)


def _st(name: str) -> str:
    """The stripped text column (``prep`` adds it only where stripping changes something)."""
    return ident("st_" + name)


def cast_columns(staged: Mapping[str, StagedField]) -> list[str]:
    """First SELECT layer: ``c_f``, each integer or date field's text cast once.

    ``TRY_CAST`` of the stripped text (NULL where it does not parse). Every
    later test of the parsed value reads this column: DuckDB evaluates an
    expression once per occurrence, and the cast is the costly part. Where
    the value is a typed integer or date (``t_f`` ``i`` or ``d``) its text
    is the type's own canonical text, so the cast gives the value itself.

    Blank text is made NULL before the cast (``nullif``), which gives the
    same NULL: a ``TRY_CAST`` that fails builds its error message before
    dropping it, about 0.25 microseconds a date, and most records leave
    several date and amount fields blank (the other kind's, a first
    delinquency date of an account in good standing).
    """
    items: list[str] = []
    for name, kind in known_fields().items():
        field = staged.get(name, StagedField(False, frozenset()))
        if field.present and kind in ("int", "date"):
            sql_type = "BIGINT" if kind == "int" else "DATE"
            text = f"nullif({field.text(name)}, '')"
            items.append(f"TRY_CAST({text} AS {sql_type}) AS {ident('c_' + name)}")
    return items


def pre_columns(staged: Mapping[str, StagedField]) -> list[str]:
    """Second SELECT layer: the shape tests each value needs, computed once per value.

    ``blank_f`` (None or blank text), ``iok_f`` (an ASCII integer), ``dok_f``
    (the ``YYYY-MM-DD`` shape). Reads :func:`cast_columns`. DuckDB evaluates
    an expression once per occurrence, so everything the next layer tests
    several times is a column here.
    """
    items: list[str] = []
    for name, kind in known_fields().items():
        field = staged.get(name, StagedField(False, frozenset()))
        if not field.present:
            continue
        v, text = _v(name), field.text(name)
        is_s = field.type_is(name, "s")
        items.append(f"({v} IS NULL OR ({is_s} AND {text} = '')) AS {ident('blank_' + name)}")
        # A canonical integer or date (what a furnisher's software writes) is
        # recognised by its cast's round trip, which costs a fraction of a
        # regular expression; anything else is tested with the pattern. A
        # date's round trip alone would also pass years past 9999 and BC
        # dates ('10000-01-01', '0001-01-01 (BC)'), which DuckDB writes back
        # as given: only ten characters can be the pattern's.
        cast = ident("c_" + name)
        if kind == "int":
            items.append(
                f"CASE WHEN CAST({cast} AS VARCHAR) = {text} THEN true "
                f"ELSE regexp_full_match({text}, {_INTEGER}) END AS {ident('iok_' + name)}"
            )
        elif kind == "date":
            items.append(
                f"CASE WHEN strlen({text}) = 10 AND CAST({cast} AS VARCHAR) = {text} THEN true "
                f"ELSE regexp_full_match({text}, {_DATE}) END AS {ident('dok_' + name)}"
            )
    return items


def coerce_columns(staged: Mapping[str, StagedField]) -> list[str]:
    """SELECT items computing, per field, the value Python's check would produce.

    ``null_f``: the value is None (absent or blank text); ``n_f`` / ``d_f`` /
    ``s_f``: the coerced integer, date or text; ``bad_f``: the integer or
    date does not parse (``x_f`` for a date that has the shape but does not
    exist); ``ctl_f``: a control character; ``ref_f``: Unicode digits or a
    huge number, which the reference path alone decides. Reads ``v_f``,
    ``st_f`` (stripped), ``ctl_f`` (:mod:`prep`), the :func:`cast_columns`
    and the :func:`pre_columns`; keeps ``v_f`` of integer fields and
    ``st_f`` of date fields, which messages quote. The rare cases (a value that is not
    an ASCII integer or date) are tested inside ``CASE``, which DuckDB
    evaluates only for the rows that reach them.
    """
    items: list[str] = []
    for name, kind in known_fields().items():
        items += _coerce_field(name, kind, staged.get(name, StagedField(False, frozenset())))
    return items


def _coerce_field(name: str, kind: str, field: StagedField) -> list[str]:
    """:func:`coerce_columns` of one field."""

    def q(prefix: str) -> str:
        return ident(prefix + name)

    items: list[str] = []
    if name in given_fields():
        items.append(f"coalesce({field.given if field.present else 'false'}, false) AS {q('has_')}")
    if kind == "int":
        items.append(f"{_v(name) if field.present else 'NULL::VARCHAR'} AS {_v(name)}")
    if kind == "date":
        items.append(f"{field.text(name) if field.present else 'NULL::VARCHAR'} AS {_st(name)}")
    if not field.present:
        items.append(f"true AS {q('null_')}")
        items.append(
            {"int": "NULL::BIGINT", "date": "NULL::DATE", "str": "NULL::VARCHAR"}[kind]
            + f" AS {q({'int': 'n_', 'date': 'd_', 'str': 's_'}[kind])}"
        )
        items += [f"false AS {q(flag)}" for flag in ("bad_", "x_", "ctl_", "ref_")]
        return items
    text, blank, cast = field.text(name), q("blank_"), q("c_")
    is_s, is_i, is_d = (field.type_is(name, c) for c in "sid")
    items.append(f"{blank} AS {q('null_')}")
    if kind == "int":
        ok = q("iok_")
        odd = f"{is_s} AND NOT {blank} AND NOT {ok}"
        unicode = f"regexp_full_match({text}, {_UNICODE_INTEGER})"
        long = f"strlen({text}) > {_MAX_DIGITS}"  # only where ok: ASCII, a byte a character
        items += [
            f"CASE WHEN {is_i} THEN {cast} WHEN {is_s} AND {ok} AND NOT {long} THEN {cast} "
            f"END AS {q('n_')}",
            f"CASE WHEN {odd} THEN NOT {unicode} ELSE false END AS {q('bad_')}",
            f"false AS {q('x_')}",
            f"false AS {q('ctl_')}",
            f"CASE WHEN {odd} THEN {unicode} WHEN {is_s} AND {ok} THEN {long} "
            f"ELSE false END AS {q('ref_')}",
        ]
    elif kind == "date":
        ok = q("dok_")
        given = f"NOT {blank} AND NOT {is_d}"
        unicode = f"regexp_full_match({text}, {_UNICODE_DATE})"
        missing = f"(left({text}, 4) = '0000' OR {cast} IS NULL)"
        items += [
            f"CASE WHEN {is_d} THEN {cast} WHEN {ok} AND left({text}, 4) <> '0000' THEN {cast} "
            f"END AS {q('d_')}",
            f"CASE WHEN {given} AND NOT {ok} THEN NOT {unicode} ELSE false END AS {q('bad_')}",
            f"CASE WHEN {given} AND {ok} THEN {missing} ELSE false END AS {q('x_')}",
            f"false AS {q('ctl_')}",
            f"CASE WHEN {given} AND NOT {ok} THEN {unicode} ELSE false END AS {q('ref_')}",
        ]
    else:
        if "d" in field.types:
            raise Unsupported(f"{name}: a date value in a text field")
        ctl = q("ctl_") if field.controls else "false"
        replaced = f"regexp_replace({text}, {literal(CONTROL_RE2)}, {_REPLACEMENT}, 'g')"
        items += [
            f"CASE WHEN {blank} THEN NULL WHEN {ctl} THEN {replaced} ELSE {text} END AS {q('s_')}",
            f"false AS {q('bad_')}",
            f"false AS {q('x_')}",
            f"(NOT {blank} AND {ctl}) AS {q('ctl_')}",
            f"false AS {q('ref_')}",
        ]
    return items


def kind_columns(staged: Mapping[str, StagedField]) -> list[str]:
    """``_kind`` as :func:`xinyong.ingest.text.record_kind` decides it, and its violation.

    The raw ``record_kind`` is compared unstripped; an unknown kind defaults to
    ``account`` with a ``code_list`` (or, when falsy, ``required``) violation.
    ``_kind_arg`` is the text whose ``repr`` the message shows (NULL when the
    message is complete: None, or an integer shown as itself).
    """
    field = staged.get("record_kind", StagedField(False, frozenset()))
    tail = f" is not one of: {', '.join(KINDS)}"
    if not field.present:
        return [
            "'account' AS _kind",
            "true AS _kind_bad",
            "'required' AS _kind_rule",
            f"{literal('record_kind None' + tail)} AS _kind_head",
            "NULL::VARCHAR AS _kind_arg",
        ]
    v = _v("record_kind")
    is_s, is_i = field.type_is("record_kind", "s"), field.type_is("record_kind", "i")
    known = " OR ".join(f"{v} = {literal(k)}" for k in KINDS)
    good = f"coalesce({is_s} AND ({known}), false)"
    # The cast only where the value is an integer: a failed TRY_CAST costs its error message.
    number = f"TRY_CAST(CASE WHEN {is_i} THEN {v} END AS BIGINT)"
    truthy = f"coalesce(({is_s} AND {v} <> '') OR ({is_i} AND {number} <> 0), false)"
    return [
        f"CASE WHEN {good} THEN {v} ELSE 'account' END AS _kind",
        f"NOT {good} AS _kind_bad",
        f"CASE WHEN {truthy} THEN 'code_list' ELSE 'required' END AS _kind_rule",
        f"CASE WHEN {v} IS NULL THEN {literal('record_kind None' + tail)} "
        f"WHEN {is_i} THEN 'record_kind ' || {v} || {literal(tail)} "
        f"ELSE 'record_kind ' END AS _kind_head",
        f"CASE WHEN {v} IS NOT NULL AND NOT {is_i} THEN {v} END AS _kind_arg",
    ]


# --- per-kind checks ----------------------------------------------------------------


def _field_checks(spec: FieldSpec) -> list[tuple[str, ViolationSQL]]:
    """(condition, violation) pairs of one property, in the reference check's order."""
    n = spec.name

    def q(prefix: str) -> str:
        return ident(prefix + n)

    name = literal(n)
    out: list[tuple[str, ViolationSQL]] = []
    if spec.must_be_given:
        message = literal(missing_required(n).message)
        out.append((f"NOT {q('has_')}", violation(name, "'required'", message)))
    if not spec.nullable:
        out.append((q("null_"), violation(name, "'required'", literal(f"{n} is required"))))
    # Every flag and coerced value is false or NULL when the value is None,
    # so no condition below needs "and the value is given".
    head = literal(n + " ")
    if spec.kind == "int":
        integer = violation(
            name, "'integer'", head, arg=_v(n), tail="' is not a whole number of minor units'"
        )
        out.append((q("bad_"), integer))
        if spec.minimum is not None:
            negative = f"{literal(n + ' must not be negative: ')} || CAST({q('n_')} AS VARCHAR)"
            out.append(
                (f"{q('n_')} < {int(spec.minimum)}",
                 violation(name, "'non_negative'", negative))
            )  # fmt: skip
        return out
    if spec.kind == "date":
        text = _st(n)
        shape = violation(name, "'date'", head, arg=text, tail="' is not a date YYYY-MM-DD'")
        exists = violation(name, "'date'", head, arg=text, tail="' is not a date that exists'")
        out.append((q("bad_"), shape))
        out.append((q("x_"), exists))
        return out
    s = q("s_")
    out.append(
        (q("ctl_"),
         violation(name, "'control_character'", literal(f"{n} contains a control character")))
    )  # fmt: skip
    if spec.const is not None:
        const = literal(f"{n} must be {spec.const!r}, got ")
        out.append(
            (f"{s} <> {literal(spec.const)}",
             violation(name, "'code_list'", const, arg=s))
        )  # fmt: skip
    if spec.enum is not None:
        allowed = literal(" is not one of: " + ", ".join(sorted(spec.enum)))
        members = ", ".join(literal(v) for v in spec.enum)
        out.append(
            (f"{s} NOT IN ({members})",
             violation(name, "'code_list'", head, arg=s, tail=allowed))
        )  # fmt: skip
    if spec.max_length is not None:
        too_long = f"{literal(n + ' is ')} || length({s}) || ' long, at most {spec.max_length}'"
        out.append(
            (f"length({s}) > {spec.max_length}",
             violation(name, "'max_length'", too_long))
        )  # fmt: skip
    if spec.min_length is not None:
        out.append(
            (f"length({s}) < {spec.min_length}",
             violation(name, "'required'", literal(f"{n} must not be empty")))
        )  # fmt: skip
    if spec.pattern is not None and spec.enum is None:
        tail = literal(" does not match " + spec.pattern)
        out.append(
            (f"NOT regexp_full_match({s}, {literal(spec.pattern)})",
             violation(name, "'format'", head, arg=s, tail=tail))
        )  # fmt: skip
    return out


def _not_after(earlier: str, later: str) -> tuple[str, ViolationSQL]:
    a, b = ident("d_" + earlier), ident("d_" + later)
    message = (
        f"{literal(earlier + ' ')} || CAST({a} AS VARCHAR) || "
        f"{literal(' is after ' + later + ' ')} || CAST({b} AS VARCHAR)"
    )
    return f"{a} > {b}", violation(literal(earlier), "'date_order'", message)


def _in(expr: str, values: list[str]) -> str:
    if not values:
        return "false"
    return f"{expr} IN ({', '.join(literal(v) for v in values)})"


def _rating_in(rating: str, wanted: list[str], ratings: list[str]) -> str:
    """Whether a record's rating is one of ``wanted``, '' standing for none or an unknown one."""
    if set(wanted) >= {"", *ratings}:
        return "true"
    tests = [_in(rating, [r for r in wanted if r])] if any(wanted) else []
    if "" in wanted:
        tests.append(f"({rating} IS NULL OR NOT ({_in(rating, ratings)}))")
    return "(" + " OR ".join(tests) + ")"


def account_rule_checks() -> list[tuple[str, ViolationSQL]]:
    """:func:`canonical_rules.account_rules` as (condition, violation) pairs."""
    out = [
        _not_after("date_opened", "date_reported"),
        _not_after("first_delinquency_date", "date_reported"),
        _not_after("date_opened", "date_closed"),
        _not_after("date_closed", "date_reported"),
        _not_after("last_payment_date", "date_reported"),
        _not_after("birth_date", "date_reported"),
    ]
    code, rating = ident("s_account_status"), ident("s_payment_rating")
    statuses = [s.value for s in AccountStatus]
    needing = [s.value for s in AccountStatus if s.needs_payment_rating]
    not_needing = [s for s in statuses if s not in needing]
    ratings = [r.value for r in PaymentRating]
    # The statuses needing a date of first delinquency, grouped by the
    # ratings ('' for none or an unknown one) with which they need it: one
    # IN test per group, where a text built per record cost ten times more.
    groups: dict[frozenset[str], list[str]] = {}
    for status in AccountStatus:
        with_ratings = frozenset(
            "" if r is None else r
            for r in (None, *ratings)
            if status.needs_first_delinquency_date(None if r is None else PaymentRating(r))
        )
        if with_ratings:
            groups.setdefault(with_ratings, []).append(status.value)
    needs_dofd = " OR ".join(
        f"({_in(code, statuses_)} AND {_rating_in(rating, sorted(with_), ratings)})"
        for with_, statuses_ in groups.items()
    )
    out.append(
        (f"{_in(code, needing)} AND {rating} IS NULL",
         violation("'payment_rating'", "'payment_rating_required'",
                   f"'status ' || {code} || ' needs a payment rating'"))
    )  # fmt: skip
    out.append(
        (f"{_in(code, not_needing)} AND {rating} IS NOT NULL",
         violation("'payment_rating'", "'payment_rating_forbidden'",
                   f"'status ' || {code} || ' takes no payment rating'"))
    )  # fmt: skip
    out.append(
        (f"({needs_dofd or 'false'}) AND {ident('d_first_delinquency_date')} IS NULL",
         violation("'first_delinquency_date'", "'dofd_required'",
                   f"'status ' || {code} || ' needs the date of first delinquency "
                   "(FCRA 623(a)(5))'"))
    )  # fmt: skip
    return out


def public_record_rule_checks() -> list[tuple[str, ViolationSQL]]:
    """:func:`canonical_rules.public_record_rules` as (condition, violation) pairs."""
    kind, subject = ident("s_kind"), ident("s_subject_kind")
    misfits = [
        f"{k.value}|{s.value}" for k in PublicRecordKind for s in SubjectKind if not k.applies_to(s)
    ]
    status = ident("s_status")
    return [
        _not_after("event_date", "removed_date"),
        _not_after("event_date", "expires_on"),
        (_in(f"{kind} || '|' || {subject}", misfits),
         violation("'kind'", "'subject_kind'", f"{kind} || ' does not apply to a ' || {subject}")),
        (f"{status} IN ('removed', 'satisfied') AND {ident('d_removed_date')} IS NULL",
         violation("'removed_date'", "'required'",
                   f"'status ' || {status} || ' needs removed_date'")),
        (f"{ident('n_amount')} IS NOT NULL AND {ident('s_currency')} IS NULL",
         violation("'currency'", "'required'", "'an amount needs its currency'")),
    ]  # fmt: skip


def identity_checks() -> list[tuple[str, ViolationSQL]]:
    """:func:`identity.identity_columns` violations, with ``_id_*`` from the identifier table."""
    kind, scheme, value = ident("s_subject_kind"), ident("s_id_scheme"), ident("s_id_value")
    both = f"{scheme} IS NOT NULL AND {value} IS NOT NULL"
    person_ok = ", ".join(literal(s) for s in sorted(PERSON_SCHEMES))
    enterprise_ok = ", ".join(literal(s) for s in sorted(ENTERPRISE_SCHEMES))
    misfit = (
        f"({kind} = 'person' AND {scheme} NOT IN ({person_ok})) OR "
        f"({kind} = 'enterprise' AND {scheme} NOT IN ({enterprise_ok}))"
    )
    birth = ident("d_birth_date")
    return [
        (f"{kind} = 'person' AND NOT ({ident('s_full_name')} IS NOT NULL OR "
         f"({ident('s_family_name')} IS NOT NULL AND {ident('s_given_names')} IS NOT NULL))",
         violation("'family_name'", "'required'",
                   "'a person needs family_name and given_names, or full_name'")),
        (f"{kind} = 'enterprise' AND {ident('s_legal_name')} IS NULL",
         violation("'legal_name'", "'required'", "'an enterprise needs its legal_name'")),
        (f"{value} IS NOT NULL AND {scheme} IS NULL",
         violation("'id_scheme'", "'required'", "'id_value is given without id_scheme'")),
        (f"{scheme} IS NOT NULL AND {value} IS NULL",
         violation("'id_value'", "'required'",
                   f"'id_scheme ' || {scheme} || ' is given without id_value'")),
        (f"{both} AND ({misfit})",
         violation("'id_scheme'", "'subject_kind'",
                   f"{scheme} || ' does not identify a ' || {kind}")),
        (f"{both} AND NOT _id_ok",
         violation("'id_value'", "_id_rule", "_id_message")),
        (f"{both} AND _id_ok AND {scheme} = 'cn_ric' AND {birth} IS NOT NULL "
         f"AND {birth} <> _id_ric_birth",
         violation("'birth_date'", "'id_mismatch'",
                   f"'birth_date ' || CAST({birth} AS VARCHAR) || ' differs from ' || "
                   "CAST(_id_ric_birth AS VARCHAR) || ' in the resident number'")),
    ]  # fmt: skip


def kind_checks(kind: str) -> list[tuple[str, ViolationSQL]]:
    """Every (condition, violation) pair of a record of ``kind`` except unknown fields."""
    kind_problem = violation(
        "'record_kind'", "_kind_rule", "_kind_head", arg="_kind_arg",
        tail=literal(f" is not one of: {', '.join(KINDS)}"),
    )  # fmt: skip
    checks: list[tuple[str, ViolationSQL]] = [("_kind_bad", kind_problem)]
    for spec in field_specs(kind):
        checks += _field_checks(spec)
    checks += account_rule_checks() if kind == "account" else public_record_rule_checks()
    checks += identity_checks()
    return checks


def kind_bad(kind: str) -> str:
    """Whether a record of ``kind`` has any violation (cheap: no list is built)."""
    return f"({ident('_has_unknown_' + kind)} OR {any_of(kind_checks(kind))})"


Slot = int | str | None
"""One part of a violation: its constant text (or None), or its position (int) in ``dynamic``."""


@dataclass(frozen=True, slots=True)
class KindViolations:
    """How a rejected record of one kind gets its violation list, cheaply.

    Building the violation structs in SQL cost about a fifth of the check
    query for a file with 1 % rejects (a hundred ``CASE`` items of six-text
    structs per vector of rows however few of its records are rejected:
    measured, some 180 microseconds per rejected record, a list of integers
    a quarter of that). The query gives instead, for rejected records only,
    ``ids``: the numbers of the failed checks in the reference order (a list
    of integers), and ``dynamic``: every part of a violation
    that is not constant (an argument, a message built from values). The
    structs are put together in Python (:func:`expand`), from ``slots``:
    per check, its six parts, each the constant text or its position in
    ``dynamic``. The unknown fields come after check 0 (the record kind).
    """

    kind: str
    ids: str
    dynamic: str
    slots: tuple[tuple[Slot, ...], ...]


@cache
def kind_violations(kind: str) -> KindViolations:
    """The :class:`KindViolations` of ``kind``: the SQL and the constant parts."""
    checks = kind_checks(kind)
    dynamic: list[str] = []
    slots: list[tuple[Slot, ...]] = []
    for _, found in checks:
        parts: list[Slot] = []
        for part in found.parts():
            fixed, value = constant(part)
            if fixed:
                parts.append(value)
                continue
            if part not in dynamic:
                dynamic.append(part)
            parts.append(dynamic.index(part))
        slots.append(tuple(parts))
    numbered = ", ".join(f"CASE WHEN {cond} THEN {i} END" for i, (cond, _) in enumerate(checks))
    ids = f"list_filter([{numbered}], lambda x: x IS NOT NULL)"
    values = (
        "[" + ", ".join(f"CAST({d} AS VARCHAR)" for d in dynamic) + "]"
        if dynamic
        else "[]::VARCHAR[]"
    )
    return KindViolations(kind, ids, values, tuple(slots))


def expand(
    plan: KindViolations, ids: list[int], dynamic: list[str | None], unknown: list[str] | None
) -> list[dict[str, str | None]]:
    """One rejected record's violations in the reference order, as ``_violations`` items."""
    out: list[dict[str, str | None]] = []

    def add(check: int) -> None:
        values = [dynamic[v] if isinstance(v, int) else v for v in plan.slots[check]]
        out.append(dict(zip(VIOLATION_FIELDS, values, strict=True)))

    rest = ids
    if ids and ids[0] == 0:  # the record kind's own problem comes first
        add(0)
        rest = ids[1:]
    for name in unknown or ():
        message = f"{name} is not a field of {plan.kind} records"
        parts = ("base", name, "unknown_field", message, None, "")
        out.append(dict(zip(VIOLATION_FIELDS, parts, strict=True)))
    for check in rest:
        add(check)
    return out


def kind_needs_reference(kind: str) -> str:
    """Fields whose value only the reference path can judge (Unicode digits, huge numbers)."""
    flags = [ident("ref_" + s.name) for s in field_specs(kind) if s.kind in ("int", "date")]
    return " OR ".join(flags) if flags else "false"


# --- ledger rows ------------------------------------------------------------------


def output_columns(hash_key: bytes, furnisher_id: str) -> list[str]:
    """Every ledger column of either table, computed as :func:`canonical_rules.build_row` does.

    Only used for accepted records, so the identifier lookup has succeeded and
    the coerced values are the ones the reference stores.
    """
    account_number = ident("s_account_number")
    key_message = f"{literal('account|' + furnisher_id + '|')} || {account_number}"
    values: dict[str, str] = {
        "record_no": "_rn",
        "location": "_loc",
        "birth_date": f"coalesce({ident('d_birth_date')}, _id_ric_birth)",
        "id_scheme": ident("s_id_scheme"),
        "id_country": "_id_country",
        "id_hash": "_id_hash",
        "id_masked": "_id_masked",
        "warnings": "_id_warnings",
        "account_key": f"CASE WHEN _kind = 'account' THEN {hmac_sha256(hash_key, key_message)} END",
        "consumer_no": "CAST(0 AS INTEGER)",
        "account_number_masked": f"CASE WHEN _kind = 'account' THEN {mask(account_number)} END",
    }
    for name in ACCOUNT_AMOUNTS:
        values[f"{name}_minor"] = ident("n_" + name)
    values["amount_minor"] = ident("n_amount")
    kinds = known_fields()
    for name in (*ACCOUNT_FIELDS, *PUBLIC_RECORD_FIELDS, *_SUBJECT_COPIED):
        if name not in values:
            prefix = {"int": "n_", "date": "d_", "str": "s_"}[kinds[name]]
            values[name] = ident(prefix + name)
    names: list[str] = []
    for schema in OUTPUT_SCHEMAS.values():
        names += [n for n in schema.names if n not in names]
    missing = [n for n in names if n not in values]
    if missing:
        raise Unsupported(f"no SQL for ledger columns {missing}")
    return [f"{values[n]} AS {ident(n)}" for n in names]


_SUBJECT_COPIED: Final = (
    "subject_kind", "family_name", "given_names", "full_name", "legal_name",
    "registration_date", "address_line1", "address_line2", "city", "region",
    "postal_code", "country", "phone",
)  # fmt: skip
