"""How fast furnisher files go through ingest, per format, against DuckDB's own CSV load.

    python benchmarks/ingest.py [--records N] [--persons P] [--formats csv,jsonl,...]
        [--keep DIR [--reuse]] [--json]

Generates one file of N records (1,000,000 by default) in each format (CSV,
JSON Lines, Parquet, Metro 2 fixed-length), ingests each with the full
pipeline (:func:`xinyong.ingest.pipeline.ingest_file` into a fresh SQLite
store and ledger, in its own process so that peak memory is that run's own),
and prints records/second and peak resident memory per format. It also times
DuckDB's own ``COPY (SELECT * FROM read_csv(...)) TO 'x.parquet'`` of the same
CSV in the same run and prints the ratio of our CSV ingest time to it.

The population is realistic rather than uniform: P distinct persons (N/4 by
default) with valid CN resident numbers (checksums from python-stdnum) or US
SSNs, several accounts each, about 2% enterprise public records with valid
unified social credit codes, and about 1% of records broken in one of the
ways furnishers break them (checksum, negative amount, impossible date,
missing payment rating, unknown code, birth date contradicting the resident
number). Identifier validation costs about 20 microseconds per distinct
identifier (python-stdnum), so P matters: it is printed with the results.

Targets (issue 3): Metro 2 >= 300,000 records/s; CSV within 3x of DuckDB's
raw load; peak memory independent of file size. ``--json`` prints one JSON
object on the last line.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SEED = 20260529
REPORTED = dt.date(2026, 4, 30)

_AREAS = (
    "110101", "110105", "110108", "310101", "310104", "310115", "440103", "440305",
    "330106", "320102", "510104", "420102", "500101", "130102", "210102", "370102",
)  # fmt: skip
_FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉"
_CITIES = (
    ("北京市", "北京市", "100000"),
    ("上海市", "上海市", "200000"),
    ("广州市", "广东省", "510000"),
    ("深圳市", "广东省", "518000"),
    ("杭州市", "浙江省", "310000"),
    ("南京市", "江苏省", "210000"),
    ("成都市", "四川省", "610000"),
    ("武汉市", "湖北省", "430000"),
)
_STREETS = (
    "建国路", "人民路", "中山路", "解放路", "长安街", "南京路", "和平路", "新华路", "滨江大道",
    "科技园路",
)  # fmt: skip
_US_SURNAMES = (
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
    "MARTINEZ",
)  # fmt: skip
_US_FIRST = (
    "JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA", "DAVID",
    "ELIZABETH",
)  # fmt: skip
_US_CITIES = (("LANSING", "MI", "48901"), ("AUSTIN", "TX", "73301"), ("DENVER", "CO", "80201"))
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Account status mix: (status, payment rating, needs first delinquency date, weight).
_STATUSES = (
    ("11", None, False, 80),
    ("13", "0", False, 8),
    ("71", None, True, 4),
    ("78", None, True, 2),
    ("80", None, True, 1),
    ("93", None, True, 2),
    ("97", None, True, 2),
    ("05", "0", False, 1),
)
_STATUS_WEIGHTS = [s[3] for s in _STATUSES]

ACCOUNT_COLUMNS = (
    "record_kind", "account_number", "subject_kind", "family_name", "given_names",
    "birth_date", "id_scheme", "id_value", "address_line1", "city", "region", "postal_code",
    "country", "phone", "portfolio_type", "account_type", "ecoa_code", "date_opened",
    "date_reported", "currency", "credit_limit", "highest_credit", "current_balance",
    "amount_past_due", "scheduled_payment", "actual_payment", "account_status",
    "payment_rating", "payment_history_profile", "first_delinquency_date", "last_payment_date",
)  # fmt: skip
PUBLIC_ONLY_COLUMNS = (
    "record_ref", "legal_name", "registration_date", "kind", "authority", "document_number",
    "event_date", "amount", "status", "expires_on", "description",
)  # fmt: skip
COLUMNS = ACCOUNT_COLUMNS + PUBLIC_ONLY_COLUMNS
INTEGER_COLUMNS = frozenset(
    {
        "credit_limit", "highest_credit", "current_balance", "amount_past_due",
        "scheduled_payment", "actual_payment", "amount",
    }
)  # fmt: skip
DATE_COLUMNS = frozenset(
    {
        "birth_date", "date_opened", "date_reported", "first_delinquency_date",
        "last_payment_date", "registration_date", "event_date", "expires_on",
    }
)  # fmt: skip


# --- identifiers ----------------------------------------------------------------


def make_ric(rng: random.Random, birth: dt.date) -> str:
    """A CN resident identity number valid per python-stdnum (checksum included)."""
    from stdnum.cn import ric

    body = f"{rng.choice(_AREAS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def make_uscc(rng: random.Random) -> str:
    """A unified social credit code: market regulator (9), enterprise (1), a county."""
    from stdnum.cn import uscc

    org8 = f"{rng.randrange(10**8):08d}"
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(org8, _GB11714_WEIGHTS, strict=True))
    value = 11 - total % 11
    check = "X" if value == 10 else "0" if value == 11 else str(value)
    body = f"91{rng.choice(_AREAS)}{org8}{check}"
    return body + uscc.calc_check_digit(body)


def make_ssn(rng: random.Random) -> str:
    """Nine digits outside the ranges the SSA never issues."""
    while True:
        area = rng.randrange(1, 900)
        if area != 666:
            return f"{area:03d}{rng.randrange(1, 100):02d}{rng.randrange(1, 10000):04d}"


# --- canonical records ------------------------------------------------------------


def _person(rng: random.Random, index: int) -> dict[str, Any]:
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
    city, region, postal = rng.choice(_CITIES)
    return {
        "family_name": rng.choice(_FAMILY),
        "given_names": "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2)))),
        "birth_date": birth.isoformat(),
        "id_scheme": "cn_ric",
        "id_value": make_ric(rng, birth),
        "address_line1": f"{rng.choice(_STREETS)}{rng.randrange(1, 999)}号{index % 30 + 1}室",
        "city": city,
        "region": region,
        "postal_code": postal,
        "country": "CN",
        "phone": f"13{rng.randrange(10**9):09d}",
    }


def _account(rng: random.Random, person: dict[str, Any], number: int) -> dict[str, Any]:
    status, rating, dofd, _ = rng.choices(_STATUSES, _STATUS_WEIGHTS)[0]
    opened = REPORTED - dt.timedelta(days=rng.randrange(60, 3650))
    limit = rng.randrange(1, 500) * 100_000
    balance = rng.randrange(0, limit + 1)
    history = "".join(rng.choice("0000000001") for _ in range(rng.randrange(1, 25)))
    record = {
        "record_kind": "account",
        "account_number": f"6222{number:012d}",
        "subject_kind": "person",
        **person,
        "portfolio_type": "R",
        "account_type": "18",
        "ecoa_code": "1",
        "date_opened": opened.isoformat(),
        "date_reported": REPORTED.isoformat(),
        "currency": "CNY",
        "credit_limit": limit,
        "highest_credit": max(balance, limit // 2),
        "current_balance": balance,
        "amount_past_due": 0 if status in ("11", "13", "05") else balance // 10,
        "scheduled_payment": balance // 20,
        "actual_payment": balance // 25,
        "account_status": status,
        "payment_rating": rating,
        "payment_history_profile": history,
        "first_delinquency_date": (REPORTED - dt.timedelta(days=rng.randrange(30, 400))).isoformat()
        if dofd
        else None,
        "last_payment_date": (REPORTED - dt.timedelta(days=rng.randrange(1, 60))).isoformat(),
    }
    return record


def _public_record(rng: random.Random, index: int) -> dict[str, Any]:
    event = REPORTED - dt.timedelta(days=rng.randrange(10, 1500))
    city, region, postal = rng.choice(_CITIES)
    return {
        "record_kind": "public_record",
        "record_ref": f"SAMR-{event.year}-{index:07d}",
        "subject_kind": "enterprise",
        "legal_name": f"{city}{rng.choice(_STREETS)}示例科技有限公司",
        "registration_date": (event - dt.timedelta(days=rng.randrange(400, 9000))).isoformat(),
        "id_scheme": "cn_uscc",
        "id_value": make_uscc(rng),
        "address_line1": f"{rng.choice(_STREETS)}{rng.randrange(1, 999)}号",
        "city": city,
        "region": region,
        "postal_code": postal,
        "country": "CN",
        "kind": rng.choice(("administrative_penalty", "tax_arrears", "court_judgment")),
        "authority": f"{city}市场监督管理局",
        "document_number": f"市监罚〔{event.year}〕{index}号",
        "event_date": event.isoformat(),
        "currency": "CNY",
        "amount": rng.randrange(1, 1000) * 100_000,
        "status": "active",
        "expires_on": (event + dt.timedelta(days=1095)).isoformat(),
        "description": "未按规定公示年度报告",
    }


def _break(rng: random.Random, record: dict[str, Any]) -> dict[str, Any]:
    """One of the faults furnishers make, so that about 1% of records are rejected."""
    fault = rng.randrange(6)
    broken = dict(record)
    if fault == 0 and broken.get("id_value"):
        value = broken["id_value"]
        broken["id_value"] = value[:-1] + ("1" if value[-1] != "1" else "2")
    elif fault == 1:
        broken["current_balance" if "current_balance" in broken else "amount"] = -500
    elif fault == 2:
        key = "date_opened" if broken["record_kind"] == "account" else "event_date"
        broken[key] = "2023-02-30"
    elif fault == 3 and broken["record_kind"] == "account":
        broken["account_status"], broken["payment_rating"] = "13", None
    elif fault == 4:
        key = "portfolio_type" if broken["record_kind"] == "account" else "status"
        broken[key] = "X"
    else:
        broken["birth_date" if "birth_date" in broken else "registration_date"] = "1900-01-01"
    return broken


def canonical_records(n: int, persons: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """N canonical records (accounts of P persons, ~2% public records, ~1% broken)."""
    rng = random.Random(seed)
    pool = [_person(random.Random(seed * 1_000_003 + i), i) for i in range(max(1, persons))]
    for i in range(n):
        if rng.random() < 0.02:
            record = _public_record(rng, i)
        else:
            record = _account(rng, pool[i % len(pool)], i)
        yield _break(rng, record) if rng.random() < 0.01 else record


def write_csv(path: Path, records: Iterator[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for record in records:
            writer.writerow(["" if record.get(c) is None else record.get(c) for c in COLUMNS])
            count += 1
    return count


def write_jsonl(path: Path, records: Iterator[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            clean = {k: v for k, v in record.items() if v is not None}
            out.write(json.dumps(clean, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_parquet(path: Path, records: Iterator[dict[str, Any]], chunk: int = 100_000) -> int:
    """Typed Parquet: amounts int64, dates date32 where they parse, text otherwise."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def typed(name: str) -> pa.DataType:
        return pa.int64() if name in INTEGER_COLUMNS else pa.string()

    schema = pa.schema([(c, typed(c)) for c in COLUMNS])
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        rows: list[dict[str, Any]] = []
        for record in records:
            rows.append(record)
            count += 1
            if len(rows) == chunk:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                rows.clear()
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    return count


# --- Metro 2 ----------------------------------------------------------------------


def _mmddyyyy(value: dt.date | None) -> str:
    return "00000000" if value is None else f"{value:%m%d%Y}"


def metro2_file(path: Path, n: int, persons: int, seed: int = SEED) -> int:
    """A fixed-length Metro 2 character file: N base segments, ~10% with a J1 segment.

    Written field by field from the layout tables (much faster than building
    :class:`~xinyong.ingest.metro2.Segment` objects), with a trailer whose
    totals add up; tests check that :func:`xinyong.ingest.metro2.read` agrees.
    """
    from xinyong.ingest.metro2 import Segment
    from xinyong.ingest.metro2.codec import encode_segment
    from xinyong.ingest.metro2.layout import BASE, J1, TRAILER_STATUS_CODES

    rng = random.Random(seed)
    people = []
    for i in range(max(1, persons)):
        prng = random.Random(seed * 7 + i)
        city, state, zip_code = prng.choice(_US_CITIES)
        people.append(
            {
                "surname": prng.choice(_US_SURNAMES),
                "first_name": prng.choice(_US_FIRST),
                "social_security_number": make_ssn(prng),
                "date_birth": _mmddyyyy(
                    dt.date(1950, 1, 1) + dt.timedelta(days=prng.randrange(20000))
                ),
                "telephone_number": f"{prng.randrange(2_000_000_000, 9_999_999_999)}",
                "first_line_address": f"{prng.randrange(1, 9999)} MAIN STREET",
                "city": city,
                "state": state,
                "zip_code": zip_code,
            }
        )
    with_j1 = [rng.random() < 0.1 for _ in range(n)]
    width = 526 if any(with_j1) else 426
    totals: Counter[str] = Counter()
    reported = _mmddyyyy(REPORTED)

    def fields(layout: Any, values: dict[str, str]) -> str:
        parts = []
        for f in layout.fields:
            if f.kind == "descriptor":
                parts.append(f"{width:04d}")
                continue
            text = values.get(f.name)
            if text is None:
                text = " " * f.length if f.kind == "alphanumeric" else "0" * f.length
            elif f.kind == "alphanumeric":
                text = text.ljust(f.length)
            else:
                text = text.zfill(f.length)
            parts.append(text)
        return "".join(parts)

    header = Segment.build(
        "header",
        activity_date=REPORTED,
        date_created=REPORTED,
        reporter_name="EXAMPLE BANK",
        reporter_address="1 BANK PLAZA LANSING MI 48901",
    )
    with path.open("wb") as out:
        out.write(encode_segment(header, rdw=width).ljust(width))
        for i in range(n):
            person = people[i % len(people)]
            status, rating, dofd, _ = rng.choices(_STATUSES, _STATUS_WEIGHTS)[0]
            if status in ("93", "97"):
                status = "71"
            opened = REPORTED - dt.timedelta(days=rng.randrange(60, 3650))
            limit = rng.randrange(1, 500) * 100
            balance = rng.randrange(0, limit + 1)
            values = {
                "processing_indicator": "1",
                "identification_number": "FURN12345",
                "consumer_account_number": f"ACCT{i:012d}",
                "portfolio_type": "R",
                "account_type": "18",
                "date_opened": _mmddyyyy(opened),
                "credit_limit": str(limit),
                "highest_credit": str(max(balance, limit // 2)),
                "terms_duration": "REV",
                "terms_frequency": "M",
                "scheduled_monthly_payment_amount": str(balance // 20),
                "actual_payment_amount": str(balance // 25),
                "account_status": status,
                "payment_rating": rating or "",
                "payment_history_profile": "".join(rng.choice("0000000001") for _ in range(12))
                + "B" * 12,
                "current_balance": str(balance),
                "amount_past_due": "0" if status in ("11", "13", "05") else str(balance // 10),
                "original_charge_off_amount": "0",
                "date_account_information": reported,
                "date_first_delinquency": _mmddyyyy(
                    REPORTED - dt.timedelta(days=rng.randrange(30, 400)) if dofd else None
                ),
                "date_last_payment": _mmddyyyy(REPORTED - dt.timedelta(days=rng.randrange(1, 60))),
                "ecoa_code": "2" if with_j1[i] else "1",
                "country_code": "US",
                "address_indicator": "Y",
                "residence_code": "O",
                **person,
            }
            if rng.random() < 0.01:  # a furnisher's mistake: the record is rejected
                fault = rng.randrange(4)
                if fault == 0:
                    values["account_status"] = "13"
                    values["payment_rating"] = ""
                elif fault == 1:
                    values["date_opened"] = "02302023"
                elif fault == 2:
                    values["portfolio_type"] = "X"
                else:
                    values["social_security_number"] = "666" + values["social_security_number"][3:]
            record = fields(BASE, values)
            totals[f"total_status_code_{values['account_status'].lower()}"] += 1
            totals["total_social_numbers_all_segments"] += 1
            totals["total_social_numbers_base_segments"] += 1
            totals["total_dates_birth_all_segments"] += 1
            totals["total_dates_birth_base_segments"] += 1
            totals["total_telephone_numbers_all_segments"] += 1
            if with_j1[i]:
                partner = people[(i * 7919 + 1) % len(people)]
                j1 = {
                    "segment_identifier": "J1",
                    "surname": partner["surname"],
                    "first_name": partner["first_name"],
                    "social_security_number": partner["social_security_number"],
                    "date_birth": partner["date_birth"],
                    "ecoa_code": "2",
                }
                record += fields(J1, j1)
                totals["total_consumer_segments_j1"] += 1
                totals["total_social_numbers_all_segments"] += 1
                totals["total_social_numbers_j1_segments"] += 1
                totals["total_dates_birth_all_segments"] += 1
                totals["total_dates_birth_j1_segments"] += 1
            out.write(record.ljust(width).encode("ascii"))
        totals["total_base_records"] = n
        totals["block_count"] = n + 2
        trailer_values: dict[str, Any] = dict(totals)
        for code in TRAILER_STATUS_CODES:
            trailer_values.setdefault(f"total_status_code_{code.lower()}", 0)
        trailer = Segment.build("trailer", trailer_values)
        out.write(encode_segment(trailer, rdw=width).ljust(width))
    return n


# --- measuring ----------------------------------------------------------------------


def peak_rss_mib() -> float:
    """This process's peak resident memory: VmHWM (reset by exec), else getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (worker processes).

    On a shared, loaded machine wall time mostly measures the neighbours; CPU
    time is what the ingest itself cost (all its threads together).
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _ingest_run(path: str, fmt: str, queue: Any) -> None:
    """One ingest in a fresh store and ledger (in a child process: its own peak RSS)."""
    from xinyong.ingest.pipeline import ingest_file
    from xinyong.ledger import Ledger
    from xinyong.store import repositories
    from xinyong.store.engine import make_engine, transaction
    from xinyong.store.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/store.sqlite3")
        upgrade(engine)
        with transaction(engine) as conn:
            repositories.add_organisation(
                conn, org_id="bench", name="Bench", kind="bank", roles=["furnisher"], country="CN"
            )
        ledger = Ledger(Path(folder) / "ledger")
        before = peak_rss_mib()
        cpu_start = _cpu_seconds()
        start = time.perf_counter()
        report = ingest_file(
            Path(path), "bench", ledger=ledger, engine=engine, hash_key=b"bench-key", format=fmt
        )
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu_start
        engine.dispose()
    queue.put(
        {
            "format": fmt,
            "status": report.status,
            "received": report.received,
            "accepted": report.accepted,
            "rejected": report.rejected,
            "seconds": round(elapsed, 3),
            "records_per_second": round(report.received / elapsed) if elapsed else None,
            "cpu_seconds": round(cpu, 3),
            "records_per_cpu_second": round(report.received / cpu) if cpu else None,
            "peak_rss_mib": peak_rss_mib(),
            "rss_before_mib": before,
        }
    )


def measure_ingest(path: Path, fmt: str) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_ingest_run, args=(str(path), fmt, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def duckdb_csv_seconds(path: Path, folder: Path) -> tuple[float, float]:
    """DuckDB's own load of the CSV into Parquet (wall and CPU seconds): the yardstick."""
    import duckdb

    con = duckdb.connect()
    target = folder / "duckdb-raw.parquet"
    cpu_start = _cpu_seconds()
    start = time.perf_counter()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{path}', header=true, all_varchar=true)) "
        f"TO '{target}' (FORMAT parquet)"
    )
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_start
    con.close()
    target.unlink()
    return elapsed, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=None, help="distinct persons (N/4)")
    parser.add_argument(
        "--formats", default="csv,jsonl,parquet,metro2", help="comma-separated subset"
    )
    parser.add_argument("--keep", type=Path, default=None, help="write the files here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: ingest a file already there (same records and persons) as it is",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    n = args.records
    persons = args.persons or max(1, n // 4)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results: dict[str, Any] = {"records": n, "persons": persons, "cpus": os.cpu_count()}
        writers = {
            "csv": lambda p: write_csv(p, canonical_records(n, persons)),
            "jsonl": lambda p: write_jsonl(p, canonical_records(n, persons)),
            "parquet": lambda p: write_parquet(p, canonical_records(n, persons)),
            "metro2": lambda p: metro2_file(p, n, persons),
        }
        suffix = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet", "metro2": "dat"}
        for fmt in formats:
            path = folder / f"bench-{n}-{persons}.{suffix[fmt]}"
            start = time.perf_counter()
            if not (args.reuse and path.exists()):
                writers[fmt](path)
            generated = time.perf_counter() - start
            result = measure_ingest(path, fmt)
            result["file_mib"] = round(path.stat().st_size / 2**20, 1)
            result["generate_seconds"] = round(generated, 1)
            results[fmt] = result
            if fmt == "csv":
                raw, raw_cpu = duckdb_csv_seconds(path, folder)
                results["duckdb_csv_to_parquet_seconds"] = round(raw, 3)
                results["csv_ratio_to_duckdb"] = round(result["seconds"] / raw, 2)
                results["duckdb_csv_to_parquet_cpu_seconds"] = round(raw_cpu, 3)
                results["csv_cpu_ratio_to_duckdb"] = round(result["cpu_seconds"] / raw_cpu, 2)
            line = (
                f"{fmt:8} {result['received']:>9} records  {result['seconds']:8.2f} s  "
                f"{result['records_per_second'] or 0:>9} records/s  "
                f"({result['records_per_cpu_second'] or 0} per CPU second)  "
                f"peak RSS {result['peak_rss_mib']:>8} MiB  "
                f"({result['accepted']} accepted, {result['rejected']} rejected, "
                f"{result['file_mib']} MiB file)"
            )
            print(line, flush=True)
            if args.keep is None:
                path.unlink()
        if "csv_ratio_to_duckdb" in results:
            print(
                f"DuckDB read_csv -> Parquet of the same CSV: "
                f"{results['duckdb_csv_to_parquet_seconds']:.2f} s; "
                f"our CSV ingest is {results['csv_ratio_to_duckdb']}x that (target <= 3x); "
                f"in CPU seconds {results['duckdb_csv_to_parquet_cpu_seconds']:.2f} s, "
                f"{results['csv_cpu_ratio_to_duckdb']}x"
            )
    if args.json:
        print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
