"""Every SQL string of files and attributes transpiles to Spark SQL, and back unchanged in effect.

Spark itself is not installed here, so the round trip is the strongest check
available: DuckDB SQL -> Spark SQL -> DuckDB SQL must build the same files and
the same attributes as the original text.
"""

from __future__ import annotations

from datetime import date

import pytest
from files_testkit import EVERYTHING, LedgerKit, account, profile_string, public_record

sqlglot = pytest.importorskip("sqlglot")
from sqlglot.errors import ErrorLevel  # noqa: E402

from xinyong.attributes import ATTRIBUTES, attribute_steps, compute_attributes  # noqa: E402
from xinyong.files import FILE_TABLES, file_steps  # noqa: E402
from xinyong.files.build import normalise_links  # noqa: E402
from xinyong.ledger import connect  # noqa: E402
from xinyong.pipeline.inputs import SUPPRESSED_SCHEMA  # noqa: E402
from xinyong.policy import PROFILES, cn  # noqa: E402

AS_OF = date(2026, 6, 30)


def to_spark(sql: str) -> str:
    return str(
        sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)[0]
    )


def round_trip(sql: str) -> str:
    back = sqlglot.transpile(
        to_spark(sql), read="spark", write="duckdb", unsupported_level=ErrorLevel.RAISE
    )
    return str(back[0])


@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=lambda p: p.jurisdiction.value)
def test_every_files_step_transpiles_to_spark(profile: object) -> None:
    for step in file_steps(profile, AS_OF):  # type: ignore[arg-type]
        spark = to_spark(step.sql)
        assert sqlglot.parse_one(spark, read="spark") is not None, step.name
        assert "read_parquet" not in spark


def test_every_attribute_and_attribute_step_transpiles_to_spark() -> None:
    for a in ATTRIBUTES:
        to_spark(f"SELECT subject_id, {a.sql} AS {a.name} FROM attr_{a.source.value} GROUP BY 1")
    steps, final = attribute_steps(AS_OF)
    for step in steps:
        to_spark(step.sql)
    to_spark(final)


def test_the_spark_text_builds_the_same_files_and_attributes(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account("P1", "a1", date_reported=date(2026, 5, 31), account_status="71",
                    first_delinquency_date=date(2026, 4, 2),
                    payment_history_profile=profile_string({0: "1", 5: "2"})),
            account("P1", "a1", payment_history_profile=profile_string({1: "1", 6: "2"}),
                    credit_limit_minor=1000, current_balance_minor=300, compliance_condition="XB"),
            account("P1", "a2", account_status="97", first_delinquency_date=date(2016, 1, 1),
                    date_reported=date(2017, 2, 28), current_balance_minor=50,
                    payment_history_profile="LL6543210"),
        ]
    )  # fmt: skip
    kit.write(
        public_records=[
            public_record("E1", "r1", "dishonest_judgment_debtor", date(2019, 3, 1),
                          expires_on=date(2021, 3, 1)),
            public_record("E1", "r2", "tax_arrears", date(2025, 3, 1), amount_minor=7,
                          currency="CNY", status="satisfied", removed_date=date(2025, 9, 1)),
        ]
    )  # fmt: skip
    expected = kit.build(AS_OF, cn.PROFILE)
    snapshot = kit.ledger.snapshot_id(EVERYTHING)
    assert expected.snapshot_id == snapshot
    with connect(kit.ledger, snapshot_id=snapshot) as con:
        con.register("links", normalise_links(kit.links_table()))
        con.register("suppressed", SUPPRESSED_SCHEMA.empty_table())
        for step in file_steps(cn.PROFILE, AS_OF):
            con.execute(f"CREATE TEMP TABLE {step.name} AS {round_trip(step.sql)}")
        for name in FILE_TABLES:
            got = con.sql(f"SELECT * FROM {name}").to_arrow_table()
            want = expected.tables()[name]
            assert got.column_names == want.column_names, name
            assert sorted(map(str, got.to_pylist())) == sorted(map(str, want.to_pylist())), name
        steps, final = attribute_steps(AS_OF)
        con.register("file_inquiries", expected.inquiries)
        for step in steps:
            con.execute(f"CREATE TEMP TABLE {step.name} AS {round_trip(step.sql)}")
        got = con.sql(round_trip(final)).to_arrow_table().to_pylist()
    assert got == compute_attributes(expected).to_pylist()
