"""Publish a batch run's credit files into the serving store, atomically.

A run directory (``$XINYONG_HOME/runs/<run_id>/``) holds ``file_subjects``,
``file_accounts``, ``file_history``, ``file_public_records`` (and attributes
and scores, which the pipeline stores itself) as Parquet, plus
``manifest.json``. :func:`publish_run` replaces the published files with that
run in one transaction: a reader sees the previous publication until commit,
and a failure half-way leaves the previous publication in place. In the same
transaction it stores every subject's items pre-serialised as report JSON
(``file_report_parts``, see ``xinyong.api.report_parts``), so that serving a
report does not rebuild them per request.

Rows are streamed from Parquet with DuckDB in chunks and written with the
driver's bulk path (``COPY`` on PostgreSQL, ``executemany`` on SQLite), never
one ORM object per row. :func:`write_run` writes a ``CreditFiles`` in the same
layout, for tests and for callers without the pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow.parquet as pq
from sqlalchemy import Connection, Engine, Table, insert, select, update

from xinyong.api.report_parts import PART_COLUMNS, analyze_items, part_rows
from xinyong.errors import UserError
from xinyong.files.model import CreditFiles
from xinyong.store.engine import transaction
from xinyong.store.files_schema import (
    file_account_items,
    file_payment_history,
    file_public_record_items,
    file_report_parts,
    file_runs,
)

__all__ = [
    "ITEM_TABLES",
    "PublishError",
    "PublishedRun",
    "bulk_insert",
    "current_run",
    "publish_run",
    "write_run",
]

ITEM_TABLES: Final = (
    file_account_items,
    file_payment_history,
    file_public_record_items,
    file_report_parts,
)
CHUNK: Final = 50_000

# Item ids as ``files.sql`` derives them, for a run written before files had
# the column: stable across runs for the same furnisher slot.
_ACCOUNT_ID_SQL: Final = (
    "('A' || MD5(furnisher_id || '|' || account_key || '|' || "
    "CAST(COALESCE(consumer_no, 0) AS VARCHAR)))"
)
_RECORD_ID_SQL: Final = "('P' || MD5(furnisher_id || '|' || record_ref))"


class PublishError(UserError):
    """A run that cannot be published: names the file, the column or row, and the rule."""


@dataclass(frozen=True, slots=True)
class PublishedRun:
    """What :func:`publish_run` stored (one ``file_runs`` row)."""

    run_id: str
    as_of: date
    jurisdiction: str
    snapshot_id: str | None
    model_id: str | None
    published_at: datetime
    subjects: int
    account_items: int
    public_record_items: int


def _parquet(run_dir: Path, name: str) -> Path:
    path = run_dir / f"{name}.parquet"
    if not path.is_file():
        raise PublishError(f"{run_dir}: {path.name} is missing (rule: run layout)")
    return path


def _require(path: Path, needed: Iterable[str]) -> set[str]:
    names = set(pq.read_schema(path).names)
    missing = [c for c in needed if c not in names]
    if missing:
        raise PublishError(f"{path}: column(s) {missing} missing (rule: credit file schema)")
    return names


def _manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "manifest.json"
    if not path.is_file():
        raise PublishError(f"{run_dir}: manifest.json is missing (rule: run layout)")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PublishError(f"{path}: not JSON ({exc.msg}) (rule: run manifest)") from None
    for key in ("as_of", "jurisdiction"):
        if not manifest.get(key):
            raise PublishError(f"{path}: field {key!r} is missing (rule: run manifest)")
    return manifest


_ACCOUNT_COLUMNS: Final = [c.name for c in file_account_items.columns]
_RECORD_COLUMNS: Final = [c.name for c in file_public_record_items.columns]


def _account_sql(path: Path) -> str:
    names = _require(
        path,
        [
            *("subject_id", "furnisher_id", "account_key", "portfolio_type", "account_type"),
            *("date_opened", "date_reported", "currency", "account_status", "shown", "aged_off"),
        ],
    )
    item = "item_id" if "item_id" in names else _ACCOUNT_ID_SQL
    cols = {
        "item_id": item,
        "consumer_no": "COALESCE(consumer_no, 0)",
        "furnisher_disputed": "COALESCE(disputed, FALSE)",
        "is_open": "COALESCE(is_open, FALSE)",
    }
    select_list = ", ".join(
        f"{cols[c]} AS {c}" if c in cols else (c if c in names else f"NULL AS {c}")
        for c in _ACCOUNT_COLUMNS
    )
    return f"SELECT {select_list} FROM read_parquet('{path}')"


def _record_sql(path: Path) -> str:
    names = _require(
        path, ["subject_id", "furnisher_id", "record_ref", "kind", "authority", "status", "shown"]
    )
    cols = {
        "item_id": "item_id" if "item_id" in names else _RECORD_ID_SQL,
        "in_force": "COALESCE(in_force, FALSE)",
        "aged_off": "COALESCE(aged_off, FALSE)",
    }
    select_list = ", ".join(
        f"{cols[c]} AS {c}" if c in cols else (c if c in names else f"NULL AS {c}")
        for c in _RECORD_COLUMNS
    )
    return f"SELECT {select_list} FROM read_parquet('{path}')"


def _history_sql(accounts: Path, history: Path) -> str:
    """One row per account item: the months as a status string, '-' in the gaps."""
    _require(history, ["subject_id", "furnisher_id", "account_key", "month", "status", "shown"])
    slot = "furnisher_id, account_key, COALESCE(consumer_no, 0) AS consumer_no"
    return (
        "WITH a AS (SELECT item_id, subject_id, furnisher_id, account_key, consumer_no "
        f"FROM ({_account_sql(accounts)})), "
        f"h AS (SELECT subject_id, {slot}, month, status, shown, "
        "DATE_DIFF('month', MIN(month) OVER (PARTITION BY subject_id, furnisher_id, "
        "account_key, COALESCE(consumer_no, 0)), month) AS pos "
        f"FROM read_parquet('{history}')) "
        "SELECT a.item_id, a.subject_id, MIN(h.month) AS first_month, "
        "LIST(h.pos ORDER BY h.pos) AS pos, LIST(h.status ORDER BY h.pos) AS statuses, "
        "LIST(h.shown ORDER BY h.pos) AS shown "
        "FROM h JOIN a ON a.subject_id = h.subject_id AND a.furnisher_id = h.furnisher_id "
        "AND a.account_key = h.account_key AND a.consumer_no = h.consumer_no "
        "GROUP BY a.item_id, a.subject_id"
    )


def _history_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for item_id, subject_id, first_month, positions, statuses, shown in rows:
        width = max(positions) + 1
        chars, mask = ["-"] * width, ["0"] * width
        for pos, status, flag in zip(positions, statuses, shown, strict=True):
            chars[pos] = status or "-"
            mask[pos] = "1" if flag else "0"
        yield item_id, subject_id, first_month, "".join(chars), "".join(mask)


def _stream(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[list[tuple[Any, ...]]]:
    cursor = con.execute(sql)
    while chunk := cursor.fetchmany(CHUNK):
        yield chunk


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    chunks: Iterable[Iterable[tuple[Any, ...]]],
) -> int:
    """Write rows through the driver's bulk path, inside ``conn``'s transaction."""
    dbapi = conn.connection.driver_connection
    cols = ", ".join(columns)
    count = 0
    if conn.dialect.name == "postgresql":
        copy_sql = f"COPY {table.name} ({cols}) FROM STDIN"
        with dbapi.cursor() as cur, cur.copy(copy_sql) as copy:  # type: ignore[union-attr]
            for chunk in chunks:
                for row in chunk:
                    copy.write_row(row)
                    count += 1
        return count
    marks = ", ".join("?" for _ in columns)
    cur = dbapi.cursor()  # type: ignore[union-attr]
    try:
        for chunk in chunks:
            batch = list(chunk)
            cur.executemany(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", batch)
            count += len(batch)
    finally:
        cur.close()
    return count


def _not_null(con: duckdb.DuckDBPyConnection, sql: str, table: Table, path: Path) -> None:
    """Refuse a run with a missing required value, naming the item and the column."""
    for column in table.columns:
        if column.nullable or column.name == "item_id":
            continue
        row = con.execute(
            f"SELECT item_id FROM ({sql}) WHERE {column.name} IS NULL LIMIT 1"
        ).fetchone()
        if row is not None:
            raise PublishError(
                f"{path}: item {row[0]!r} has no {column.name} (rule: required field)"
            )


def _duplicates(con: duckdb.DuckDBPyConnection, sql: str, what: str, path: Path) -> None:
    dup = con.execute(
        f"SELECT item_id, COUNT(*) FROM ({sql}) GROUP BY item_id HAVING COUNT(*) > 1 LIMIT 1"
    ).fetchone()
    if dup is not None:
        raise PublishError(
            f"{path}: {what} item_id {dup[0]!r} appears {dup[1]} times (rule: item_id unique)"
        )


def publish_run(engine: Engine, run_dir: Path, *, now: datetime | None = None) -> PublishedRun:
    """Replace the published files with the run in ``run_dir``, in one transaction.

    Publishing the current run again is a no-op (the pipeline reuses a run
    folder when nothing changed); publishing an earlier run again rolls back to it.
    """
    run_dir = Path(run_dir)
    manifest = _manifest(run_dir)
    run_id = str(manifest.get("run_id") or run_dir.name)
    accounts = _parquet(run_dir, "file_accounts")
    history = _parquet(run_dir, "file_history")
    records = _parquet(run_dir, "file_public_records")
    subjects_path = _parquet(run_dir, "file_subjects")
    account_sql, record_sql = _account_sql(accounts), _record_sql(records)
    history_sql = _history_sql(accounts, history)
    published_at = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        as_of = date.fromisoformat(str(manifest["as_of"])[:10])
    except ValueError:
        raise PublishError(
            f"{run_dir}/manifest.json: as_of is not a date (rule: ISO date)"
        ) from None
    with engine.connect() as conn:
        done = current_run(conn)
    if done is not None and done.run_id == run_id:
        return done  # a reused pipeline run: already the publication, nothing to do
    con = duckdb.connect()
    try:
        _duplicates(con, account_sql, "account", accounts)
        _duplicates(con, record_sql, "public record", records)
        _not_null(con, account_sql, file_account_items, accounts)
        _not_null(con, record_sql, file_public_record_items, records)
        subjects = con.execute(
            f"SELECT COUNT(DISTINCT subject_id) FROM read_parquet('{subjects_path}')"
        ).fetchone()
        # Every subject of the run gets its report part, itemless ones too.
        subject_ids = [
            row[0]
            for row in con.execute(
                f"SELECT subject_id FROM read_parquet('{subjects_path}') "
                f"UNION SELECT subject_id FROM read_parquet('{accounts}') "
                f"UNION SELECT subject_id FROM read_parquet('{records}') ORDER BY 1"
            ).fetchall()
        ]
        with transaction(engine) as conn:
            # Publishing an earlier run again (a rollback) replaces its old row.
            conn.execute(file_runs.delete().where(file_runs.c.run_id == run_id))
            for table in ITEM_TABLES:
                conn.execute(table.delete())
            n_accounts = bulk_insert(
                conn, file_account_items, _ACCOUNT_COLUMNS, _stream(con, account_sql)
            )
            bulk_insert(
                conn,
                file_payment_history,
                [c.name for c in file_payment_history.columns],
                (_history_rows(chunk) for chunk in _stream(con, history_sql)),
            )
            n_records = bulk_insert(
                conn, file_public_record_items, _RECORD_COLUMNS, _stream(con, record_sql)
            )
            analyze_items(conn)
            for rows in part_rows(conn, run_id, subject_ids):
                bulk_insert(conn, file_report_parts, PART_COLUMNS, [rows])
            run = PublishedRun(
                run_id=run_id,
                as_of=as_of,
                jurisdiction=str(manifest["jurisdiction"]),
                snapshot_id=manifest.get("snapshot_id"),
                model_id=manifest.get("model_id"),
                published_at=published_at,
                subjects=int(subjects[0]) if subjects else 0,
                account_items=n_accounts,
                public_record_items=n_records,
            )
            conn.execute(update(file_runs).values(current=False))
            conn.execute(insert(file_runs).values(current=True, **_run_values(run)))
    finally:
        con.close()
    return run


def _run_values(run: PublishedRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "as_of": run.as_of,
        "jurisdiction": run.jurisdiction,
        "snapshot_id": run.snapshot_id,
        "model_id": run.model_id,
        "published_at": run.published_at,
        "subjects": run.subjects,
        "account_items": run.account_items,
        "public_record_items": run.public_record_items,
    }


def current_run(conn: Connection) -> PublishedRun | None:
    """The publication reports are built from, or ``None`` before the first."""
    row = conn.execute(select(file_runs).where(file_runs.c.current.is_(True))).first()
    if row is None:
        return None
    return PublishedRun(
        run_id=row.run_id,
        as_of=row.as_of,
        jurisdiction=row.jurisdiction,
        snapshot_id=row.snapshot_id,
        model_id=row.model_id,
        published_at=row.published_at,
        subjects=row.subjects,
        account_items=row.account_items,
        public_record_items=row.public_record_items,
    )


def write_run(
    files: CreditFiles, run_dir: Path, run_id: str, *, model_id: str | None = None
) -> Path:
    """Write ``files`` in the run layout (``file_*.parquet`` + ``manifest.json``)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    for name, table in files.tables().items():
        if name in ("file_subjects", "file_accounts", "file_history", "file_public_records"):
            pq.write_table(table, run_dir / f"{name}.parquet")
    manifest = {
        "run_id": run_id,
        "as_of": files.as_of.isoformat(),
        "jurisdiction": files.jurisdiction.value,
        "snapshot_id": files.snapshot_id,
        "model_id": model_id,
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return run_dir
