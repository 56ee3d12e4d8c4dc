"""Seed a serving store with N synthetic subjects straight into the published tables.

Used by ``service.py``. Not the pipeline: rows are generated in Python, in
chunks, and written through ``xinyong.publish.bulk_insert`` (COPY on
PostgreSQL, executemany on SQLite) into a store migrated to the head revision,
then each subject's report part (``xinyong.api.report_parts``), as publishing does.
Per subject: an active person with a CN resident ID (valid check digit; its
keyed hash and masked form only), a name, 1-4 accounts (avg 2.5) with a
24-month payment history, one public record for every 20th subject, and a
stored score with four reasons. Three organisations: an inquirer with
purposes and an API key, a furnisher and an operator.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table

from xinyong.api.admin import grant_purposes, register_organisation
from xinyong.api.keys import create_key
from xinyong.api.report_parts import PART_COLUMNS, analyze_items, part_rows
from xinyong.identifiers.hashing import identifier_hash, keyed_hash
from xinyong.identifiers.registry import Identifier, validate
from xinyong.publish import bulk_insert
from xinyong.store.engine import transaction
from xinyong.store.files_schema import (
    file_account_items,
    file_payment_history,
    file_public_record_items,
    file_report_parts,
    file_runs,
)
from xinyong.store.schema import (
    person_names,
    score_reasons,
    scores,
    subject_identifiers,
    subjects,
)

__all__ = ["NOW", "SEED_VERSION", "ric", "seed"]

SEED_VERSION: Final = "4"
NOW: Final = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CHUNK: Final = 20_000
_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_BIRTH0: Final = date(1950, 1, 1)
REASONS: Final = (
    ("D01", "Amount owed on revolving accounts is too high"),
    ("D02", "Length of time accounts have been established"),
    ("D03", "Proportion of balances to credit limits is too high"),
    ("D05", "Number of recent inquiries"),
)


def ric(i: int) -> str:
    """The i-th synthetic CN resident ID (GB 11643: ISO 7064 MOD 11-2 check character)."""
    born = _BIRTH0 + timedelta(days=i % 20000)
    body = f"110105{born:%Y%m%d}{(i // 20000) % 1000:03d}"
    total = sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def _sid(i: int) -> str:
    return f"{i:032x}"


def _when(conn: Connection, value: datetime) -> Any:
    """Instants as the store's UTCDateTime writes them on each backend."""
    if conn.dialect.name == "sqlite":
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _day(conn: Connection, value: date | None) -> Any:
    if value is None or conn.dialect.name != "sqlite":
        return value
    return value.isoformat()


def _rows(conn: Connection, key: bytes, lo: int, hi: int) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {
        t: [] for t in ("subjects", "ids", "names", "acc", "hist", "pr", "scores", "reasons")
    }
    created = _when(conn, NOW - timedelta(days=400))
    computed = _when(conn, NOW - timedelta(days=1))
    as_of = _day(conn, NOW.date())
    first_month = _day(conn, date(2024, 5, 1))
    reported = _day(conn, date(2026, 4, 30))
    for i in range(lo, hi):
        sid = _sid(i)
        value = ric(i)
        out["subjects"].append((sid, "person", created, "active"))
        out["ids"].append(
            (
                sid,
                "cn_ric",
                keyed_hash(key, "cn_ric", "CN", value),
                "*" * 14 + value[-4:],
                "CN",
                created,
            )
        )
        out["names"].append((sid, f"Subject {i}", "latin"))
        for k in range(1 + i % 4):
            item = f"A{i:024x}{k:07x}"
            late = (i + k) % 9 == 0
            opened = _day(conn, date(2015 + (i + k) % 10, 1 + k, 15))
            out["acc"].append(
                (
                    item,
                    sid,
                    "bank-a",
                    f"ACCT-{i}-{k}",
                    0,
                    None,
                    None,
                    f"****{(i * 7 + k) % 10000:04d}",
                    "R" if k % 2 == 0 else "I",
                    "18" if k % 2 == 0 else "01",
                    "1",
                    "revolving" if k % 2 == 0 else "installment",
                    opened,
                    None,
                    reported,
                    "CNY",
                    500_000 + 10_000 * k,
                    None,
                    100_000 + (i % 997) * 100,
                    0 if not late else 5_000,
                    None,
                    "71" if late else "11",
                    None,
                    None,
                    None,
                    None,
                    None,
                    False,
                    True,
                    "late_30" if late else None,
                    None,
                    False,
                    True,
                    None,
                )
            )
            history = "0" * 20 + ("1000" if late else "0000")
            out["hist"].append((item, sid, first_month, history, "1" * 24))
        if i % 20 == 0:
            out["pr"].append(
                (
                    f"P{i:031x}",
                    sid,
                    "court-a",
                    f"J-{i}",
                    None,
                    None,
                    "court_judgment",
                    "Court of Dongcheng",
                    _day(conn, date(2023, 6, 1)),
                    _day(conn, date(2023, 6, 2)),
                    250_000,
                    "CNY",
                    "active",
                    None,
                    None,
                    True,
                    _day(conn, date(2028, 6, 1)),
                    False,
                    True,
                    None,
                )
            )
        score_id = f"S{i:031x}"
        out["scores"].append(
            (
                score_id,
                sid,
                "demo-card",
                "1.0.0",
                as_of,
                "snap-bench",
                300 + (i * 37) % 551,
                300,
                850,
                0.05,
                computed,
            )
        )
        for rank, (code, text) in enumerate(REASONS, start=1):
            out["reasons"].append((score_id, rank, code, text, 10.0 / rank))
    return out


_TARGETS: Final[dict[str, tuple[Table, list[str]]]] = {
    "subjects": (subjects, ["subject_id", "kind", "created_at", "status"]),
    "ids": (
        subject_identifiers,
        ["subject_id", "scheme", "value_hash", "value_masked", "country", "created_at"],
    ),
    "names": (person_names, ["subject_id", "full_name", "script"]),
    "acc": (file_account_items, [c.name for c in file_account_items.columns]),
    "hist": (file_payment_history, [c.name for c in file_payment_history.columns]),
    "pr": (file_public_record_items, [c.name for c in file_public_record_items.columns]),
    "scores": (
        scores,
        [
            "score_id",
            "subject_id",
            "model_id",
            "model_version",
            "as_of",
            "ledger_snapshot",
            "score",
            "score_min",
            "score_max",
            "probability_bad",
            "computed_at",
        ],
    ),
    "reasons": (score_reasons, ["score_id", "rank", "code", "text", "points_lost"]),
}


def _check_hash(key: bytes) -> None:
    """The seeded hash is the one the service computes from the identifier."""
    ident = Identifier.from_validated(validate("cn_ric", ric(12345)))
    if identifier_hash(key, ident) != keyed_hash(key, "cn_ric", "CN", ric(12345)):
        raise RuntimeError("seeded identifier hashes differ from the service's")


def seed(engine: Engine, n: int, key: bytes, *, progress: bool = True) -> str:
    """Seed ``n`` subjects; returns the inquirer's API key (shown once)."""
    _check_hash(key)
    with transaction(engine) as conn:
        for org_id, kind, roles in (
            ("lender-a", "inquirer", ["inquirer"]),
            ("bank-a", "bank", ["furnisher"]),
            ("court-a", "court", ["furnisher"]),
            ("regulator", "operator", ["operator"]),
        ):
            register_organisation(
                conn, org_id=org_id, name=org_id.upper(), kind=kind, roles=roles, country="CN"
            )
        grant_purposes(conn, "lender-a", ["credit_application", "account_review"])
        token = create_key(conn, "lender-a", "inquirer", timedelta(days=3650), now=NOW).token
        conn.execute(
            file_runs.insert().values(
                run_id="bench-run",
                as_of=NOW.date(),
                jurisdiction="US",
                snapshot_id="snap-bench",
                model_id="demo-card",
                published_at=NOW,
                current=True,
                subjects=n,
                account_items=0,
                public_record_items=0,
            )
        )
    for lo in range(0, n, CHUNK * 5):
        hi = min(n, lo + CHUNK * 5)
        with transaction(engine) as conn:
            for start in range(lo, hi, CHUNK):
                rows = _rows(conn, key, start, min(hi, start + CHUNK))
                for name, (table, cols) in _TARGETS.items():
                    bulk_insert(conn, table, cols, [rows[name]])
            ids = [_sid(i) for i in range(lo, hi)]
            analyze_items(conn)
            for part in part_rows(conn, "bench-run", ids):
                bulk_insert(conn, file_report_parts, PART_COLUMNS, [part])
        if progress:
            print(f"  seeded {hi:,} / {n:,} subjects", flush=True)
    return token
