"""The batch pipeline on the DuckDB engine: one code path, reproducible runs, stable items."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from files_testkit import one, rows
from pipeline_testkit import (
    AS_OF,
    EVERYTHING,
    PipelineKit,
    account,
    later_correction,
    person_model,
)

from xinyong.attributes import compute_attributes
from xinyong.engine import DuckDBEngine, Engine, EngineUnavailableError, open_engine
from xinyong.files import FILE_TABLES, build_files
from xinyong.pipeline import OUTPUTS, RunManifest, read_output, run_pipeline
from xinyong.policy import cn, us
from xinyong.score import score_one


def _run(country: PipelineKit, out: Path, **kw: object) -> RunManifest:
    kw.setdefault("snapshot_id", country.snapshot_id)
    with open_engine("duckdb") as engine:
        return run_pipeline(
            engine, country.kit.ledger, country.links, AS_OF, cn.PROFILE, person_model(), out,
            **kw,  # type: ignore[arg-type]
        )  # fmt: skip


def _plain(table: pa.Table) -> list[dict[str, object]]:
    return table.to_pylist()


def _by_subject(run: RunManifest) -> dict[object, tuple[object, ...]]:
    """Each subject's score, inputs and reasons (ids aside: they name the run)."""
    reasons = read_output(run.run_dir, "score_reasons")
    return {
        r["subject_id"]: (
            r["score"],
            r["inputs_hash"],
            [
                (x["rank"], x["code"], x["points_lost"])
                for x in rows(reasons, score_id=r["score_id"])
            ],
        )
        for r in read_output(run.run_dir, "scores").to_pylist()
    }


def test_the_engine_meets_the_interface_and_spark_fails_clearly() -> None:
    with open_engine("duckdb") as engine:
        assert isinstance(engine, Engine)
        assert engine.name == "duckdb"
    with pytest.raises(EngineUnavailableError, match="unknown engine"):
        open_engine("oracle")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        with pytest.raises(EngineUnavailableError, match="pyspark"):
            open_engine("spark")


def test_run_writes_every_output_equal_to_the_library_calls(
    country: PipelineKit, tmp_path: Path
) -> None:
    manifest = _run(country, tmp_path / "runs")
    assert manifest.run_dir == tmp_path / "runs" / manifest.run_id
    assert set(manifest.counts) == set(OUTPUTS)
    assert set(manifest.seconds) == {"inputs", "files", "attributes", "score", "write"}
    on_disk = (manifest.run_dir / "manifest.json").read_text(encoding="utf-8")
    assert manifest.run_id in on_disk and manifest.snapshot_id in on_disk

    files = build_files(country.kit.ledger, country.links, AS_OF, cn.PROFILE, at=EVERYTHING)
    for name in FILE_TABLES:
        assert _plain(read_output(manifest.run_dir, name)) == _plain(files.tables()[name]), name
    attributes = compute_attributes(files)
    assert _plain(read_output(manifest.run_dir, "attributes")) == _plain(attributes)

    model = person_model()
    scores = read_output(manifest.run_dir, "scores")
    reasons = read_output(manifest.run_dir, "score_reasons")
    assert scores["subject_id"].to_pylist() == ["P1", "P2", "P3"]  # persons only, not E1
    for row in scores.to_pylist():
        attrs = one(attributes, subject_id=row["subject_id"])
        want = score_one(model, attrs)
        assert row["score"] == want.score
        assert row["model_id"] == model.model_id
        got = [
            (r["rank"], r["code"], r["points_lost"])
            for r in rows(reasons, score_id=row["score_id"])
        ]
        assert got == [(r.rank, r.code, r.points_lost) for r in want.reasons]


def test_same_inputs_same_run_and_nothing_recomputed(country: PipelineKit, tmp_path: Path) -> None:
    first = _run(country, tmp_path / "runs")
    again = _run(country, tmp_path / "runs")
    assert again.run_id == first.run_id and again.reused and not first.reused
    assert again.counts == first.counts
    forced = _run(country, tmp_path / "runs", force=True)
    assert forced.run_id == first.run_id
    assert _plain(read_output(forced.run_dir, "scores")) == _plain(
        read_output(first.run_dir, "scores")
    )
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [first.run_id]  # no temp left


def test_as_of_a_snapshot_is_reproducible_after_later_batches(
    country: PipelineKit, tmp_path: Path
) -> None:
    before = _run(country, tmp_path / "a")
    newer = later_correction(country)
    # The correction is linked too: the links changed, but replaying the old
    # snapshot with them still gives the old files and scores.
    replay = _run(country, tmp_path / "b")
    assert replay.snapshot_id == before.snapshot_id
    for name in (*FILE_TABLES, "attributes"):
        assert _plain(read_output(replay.run_dir, name)) == _plain(
            read_output(before.run_dir, name)
        ), name
    assert _by_subject(replay) == _by_subject(before)
    now = _run(country, tmp_path / "c", snapshot_id=newer)
    assert now.run_id != before.run_id
    p2_then = one(read_output(before.run_dir, "scores"), subject_id="P2")["score"]
    p2_now = one(read_output(now.run_dir, "scores"), subject_id="P2")["score"]
    assert p2_now > p2_then  # the paid-down card counts from the new snapshot on


def test_item_ids_are_stable_and_name_the_slot(country: PipelineKit, tmp_path: Path) -> None:
    early = _run(country, tmp_path / "a")
    later_correction(country)
    late = _run(country, tmp_path / "b", snapshot_id=country.kit.ledger.snapshot_id(EVERYTHING))
    ids_early = {
        (r["subject_id"], r["account_key"], r["consumer_no"]): r["item_id"]
        for r in read_output(early.run_dir, "file_accounts").to_pylist()
    }
    ids_late = {
        (r["subject_id"], r["account_key"], r["consumer_no"]): r["item_id"]
        for r in read_output(late.run_dir, "file_accounts").to_pylist()
    }
    assert ids_early == ids_late
    assert len(set(ids_early.values())) == len(ids_early)  # P1 and co-holder P3 differ
    assert all(i.startswith("A") and len(i) == 33 for i in ids_early.values())
    records = read_output(early.run_dir, "file_public_records")
    assert records["item_id"][0].as_py().startswith("P")
    history = read_output(early.run_dir, "file_history")
    assert set(history["item_id"].to_pylist()) <= set(ids_early.values())


def test_suppressed_items_are_kept_but_not_shown_or_scored(
    country: PipelineKit, tmp_path: Path
) -> None:
    plain = _run(country, tmp_path / "a")
    accounts = read_output(plain.run_dir, "file_accounts")
    loan = one(accounts, subject_id="P1", account_key="loan-1")["item_id"]
    penalty = read_output(plain.run_dir, "file_public_records")["item_id"][0].as_py()
    hidden = pa.table({"item_id": [loan, penalty, "A-not-an-item"]})
    run = _run(country, tmp_path / "b", suppressed=hidden)
    assert run.run_id != plain.run_id
    item = one(read_output(run.run_dir, "file_accounts"), item_id=loan)
    assert (item["shown"], item["suppressed"], item["hidden_reason"]) == (
        False,
        True,
        "dispute_overdue",
    )
    record = one(read_output(run.run_dir, "file_public_records"), item_id=penalty)
    assert (record["shown"], record["hidden_reason"]) == (False, "dispute_overdue")
    history = read_output(run.run_dir, "file_history")
    assert not any(rows(history, item_id=loan, shown=True))
    co_holder = one(read_output(run.run_dir, "file_accounts"), subject_id="P3")
    assert co_holder["shown"]  # the co-holder's slot is another item
    attrs = one(read_output(run.run_dir, "attributes"), subject_id="P1")
    assert attrs["times_30_59_late_24m"] == 0
    assert attrs["accounts_total"] == 1
    files = build_files(
        country.kit.ledger, country.links, AS_OF, cn.PROFILE, at=EVERYTHING, suppressed=hidden
    )
    assert _plain(files.accounts) == _plain(read_output(run.run_dir, "file_accounts"))


def test_the_co_holder_is_linked_through_consumer_no(country: PipelineKit, tmp_path: Path) -> None:
    run = _run(country, tmp_path / "runs")
    accounts = read_output(run.run_dir, "file_accounts")
    p1 = one(accounts, subject_id="P1", account_key="loan-1")
    p3 = one(accounts, subject_id="P3", account_key="loan-1")
    assert (p1["consumer_no"], p3["consumer_no"]) == (0, 1)
    assert one(read_output(run.run_dir, "scores"), subject_id="P3")["score"] > 0
    # Without a consumer number a link reaches only the primary consumer.
    links = country.links
    keep = pc.invert(pc.equal(links["subject_id"], "P3"))
    run2 = _run(country, tmp_path / "b", **{"snapshot_id": country.snapshot_id})
    assert run2.run_id == run.run_id
    with DuckDBEngine() as engine:
        alone = run_pipeline(
            engine, country.kit.ledger, links.filter(keep), AS_OF, cn.PROFILE, person_model(),
            tmp_path / "c", snapshot_id=country.snapshot_id,
        )  # fmt: skip
    assert not rows(read_output(alone.run_dir, "file_accounts"), subject_id="P3")
    assert len(rows(read_output(alone.run_dir, "file_accounts"), subject_id="P1")) == 2


def test_identical_files_under_different_identities_score_identically(tmp_path: Path) -> None:
    from files_testkit import LedgerKit, profile_string

    kit = LedgerKit(tmp_path / "ledger")
    facts = {
        "credit_limit_minor": 8_000,
        "current_balance_minor": 6_100,
        "account_status": "71",
        "payment_history_profile": profile_string({0: "1", 7: "1"}),
    }
    kit.write(
        accounts=[
            account("twin-A", "acct-111", **facts),
            account("twin-B", "acct-999", **facts),
            account("other", "acct-555"),
        ],
        furnisher="fur-1",
    )
    kit.write(accounts=[account("twin-B", "acct-222", **facts)], furnisher="fur-2")
    kit.write(accounts=[account("twin-A", "acct-333", **facts)], furnisher="fur-2")
    with DuckDBEngine() as engine:
        run = run_pipeline(
            engine, kit.ledger, kit.links_table(), AS_OF, us.PROFILE, person_model(),
            tmp_path / "runs", snapshot_id=kit.ledger.snapshot_id(EVERYTHING),
        )  # fmt: skip
    scores = read_output(run.run_dir, "scores")
    reasons = read_output(run.run_dir, "score_reasons")
    a, b = one(scores, subject_id="twin-A"), one(scores, subject_id="twin-B")
    assert (a["score"], a["inputs_hash"]) == (b["score"], b["inputs_hash"])

    def why(row: dict[str, object]) -> list[tuple[object, ...]]:
        return [
            (r["rank"], r["code"], r["points_lost"])
            for r in rows(reasons, score_id=row["score_id"])
        ]

    assert why(a) == why(b) and why(a)
    assert one(scores, subject_id="other")["score"] != a["score"]


def test_the_pipeline_sql_transpiles_to_spark() -> None:
    sqlglot = pytest.importorskip("sqlglot")
    from sqlglot.errors import ErrorLevel

    from xinyong.pipeline import run as pipeline_run
    from xinyong.pipeline.sql import score_steps

    texts = [s.sql for s in score_steps("run-x", AS_OF, "snap", 5)]
    texts += list(pipeline_run._SOURCE.values())
    for text in texts:
        spark = sqlglot.transpile(
            text, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE
        )[0]
        assert "MD5" in spark.upper() or "DISTINCT" in spark.upper()


def test_scoring_an_earlier_runs_files_gives_the_same_outputs(
    country: PipelineKit, tmp_path: Path
) -> None:
    with DuckDBEngine() as engine:
        plain = run_pipeline(
            engine, country.kit.ledger, country.links, AS_OF, cn.PROFILE, None, tmp_path / "a",
            snapshot_id=country.snapshot_id,
        )  # fmt: skip
    assert plain.counts["scores"] == 0 and plain.model_id is None
    full = _run(country, tmp_path / "b")
    with DuckDBEngine() as engine:
        reused = run_pipeline(
            engine, country.kit.ledger, country.links, AS_OF, cn.PROFILE, person_model(),
            tmp_path / "c", snapshot_id=country.snapshot_id, files_from=plain,
        )  # fmt: skip
    assert reused.run_id == full.run_id and reused.seconds["files"] == 0.0
    for name in OUTPUTS:
        assert _plain(read_output(reused.run_dir, name)) == _plain(
            read_output(full.run_dir, name)
        ), name
    other = later_correction(country)
    with DuckDBEngine() as engine, pytest.raises(ValueError, match="snapshot_id"):
        run_pipeline(
            engine, country.kit.ledger, country.links, AS_OF, cn.PROFILE, person_model(),
            tmp_path / "d", snapshot_id=other, files_from=plain,
        )  # fmt: skip
