"""No hidden hand: only a subject's data moves its score or its grade, never who it is.

The end-to-end proof writes two subjects' worth of records into a ledger,
identical in every credit fact and different in every identity field (subject
id, names, identifiers, birth date, address, phone, account numbers). It files
them, computes their attributes, and scores and rates them. A third subject with
a different file shows that the data does move the score. The other tests close
the paths by which identity could reach the points. They check which columns
scoring reads, and that a subject's result is the same alone or in any batch.
They check that identifiers are refused as inputs, and that no function in
``xinyong.score`` takes a subject id.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import itertools
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from score_factories import numerical

import xinyong.score
from xinyong.attributes import compute_attributes
from xinyong.files import LINKS_SCHEMA, CreditFiles, build_files
from xinyong.ingest.ledger_tables import _SUBJECT_FIELDS, to_table
from xinyong.ledger import Ledger, RecordCounts
from xinyong.policy import cn
from xinyong.score import score_one, score_table
from xinyong.score.enterprise import default_methodology, rate_enterprises, rate_one
from xinyong.score.errors import RefusedInputError
from xinyong.score.model import ScorecardModel, TrainingInfo
from xinyong.score.population import score_population
from xinyong.score.protected import refused_columns
from xinyong.score.scaling import DEFAULT_SCALING
from xinyong.score.train import TrainConfig, admissible_inputs

AS_OF = date(2026, 6, 30)
EVERYTHING = datetime(2100, 1, 1, tzinfo=UTC)
SCORE_PACKAGE = Path(xinyong.score.__file__).parent

# -- the subjects: same facts, different identities --------------------------------------

PERSON_IDENTITIES = {
    "P-twin-1": {
        "family_name": "张",
        "given_names": "伟",
        "full_name": "张伟",
        "birth_date": date(1961, 3, 4),
        "id_scheme": "cn_ric",
        "id_country": "CN",
        "id_hash": "a" * 64,
        "id_masked": "110105********002X",
        "address_line1": "朝阳区建国路1号",
        "city": "北京",
        "region": "北京市",
        "postal_code": "100022",
        "country": "CN",
        "phone": "13800000001",
    },
    "P-twin-2": {
        "family_name": "Okonkwo",
        "given_names": "Adaeze",
        "full_name": "Adaeze Okonkwo",
        "birth_date": date(1999, 11, 30),
        "id_scheme": "passport",
        "id_country": "NG",
        "id_hash": "b" * 64,
        "id_masked": "A0****89",
        "address_line1": "Flat 4, 12 Harbour Road",
        "city": "深圳",
        "region": "广东省",
        "postal_code": "518000",
        "country": "CN",
        "phone": "13900000002",
    },
}
ENTERPRISE_IDENTITIES = {
    "E-twin-1": {
        "legal_name": "北京星辰科技有限公司",
        "registration_date": date(2015, 1, 5),
        "id_scheme": "cn_uscc",
        "id_country": "CN",
        "id_hash": "c" * 64,
        "id_masked": "91110000********1L",
        "address_line1": "海淀区中关村大街2号",
        "city": "北京",
        "region": "北京市",
        "postal_code": "100080",
        "country": "CN",
        "phone": "01062000000",
    },
    "E-twin-2": {
        "legal_name": "喀什绿洲农业合作社",
        "registration_date": date(2019, 8, 20),
        "id_scheme": "cn_uscc",
        "id_country": "CN",
        "id_hash": "d" * 64,
        "id_masked": "93653100********7X",
        "address_line1": "喀什市人民路8号",
        "city": "喀什",
        "region": "新疆维吾尔自治区",
        "postal_code": "844000",
        "country": "CN",
        "phone": "09982000000",
    },
}
CONTROL_PERSON, CONTROL_ENTERPRISE = "P-control", "E-control"


def _history(late: Mapping[int, str]) -> str:
    chars = ["0"] * 24
    for position, code in late.items():
        chars[position] = code
    return "".join(chars)


def person_accounts(late: Mapping[int, str]) -> list[dict[str, Any]]:
    """A card with the given late months, a paid-down instalment loan, and a mortgage."""
    common = {"ecoa_code": "1", "date_reported": AS_OF, "currency": "CNY"}
    return [
        {
            **common,
            "portfolio_type": "R",
            "account_type": "18",
            "date_opened": date(2018, 5, 2),
            "credit_limit_minor": 5_000_000,
            "current_balance_minor": 3_100_000,
            "amount_past_due_minor": 0,
            "account_status": "11",
            "payment_history_profile": _history(late),
        },
        {
            **common,
            "portfolio_type": "I",
            "account_type": "00",
            "date_opened": date(2024, 2, 10),
            "highest_credit_minor": 12_000_000,
            "current_balance_minor": 7_500_000,
            "account_status": "11",
            "payment_history_profile": _history({}),
        },
        {
            **common,
            "portfolio_type": "M",
            "account_type": "26",
            "date_opened": date(2012, 9, 1),
            "highest_credit_minor": 150_000_000,
            "current_balance_minor": 61_000_000,
            "account_status": "11",
            "payment_history_profile": _history({}),
        },
    ]


def enterprise_records(penalties: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A business loan and a line of credit, plus penalties and a listing."""
    accounts = [
        {
            "ecoa_code": "W",
            "date_reported": AS_OF,
            "currency": "CNY",
            "portfolio_type": "I",
            "account_type": "00",
            "date_opened": date(2021, 4, 1),
            "highest_credit_minor": 900_000_000,
            "current_balance_minor": 400_000_000,
            "account_status": "11",
            "payment_history_profile": _history({2: "1"}),
        }
    ]
    public = [
        {
            "kind": "administrative_penalty",
            "authority": "市场监督管理局",
            "event_date": date(2025, 3, 1 + k),
            "filed_date": date(2025, 3, 10 + k),
            "currency": "CNY",
            "amount_minor": 5_000_000,
            "status": "active",
        }
        for k in range(penalties)
    ]
    public.append(
        {
            "kind": "abnormal_operations_listing",
            "authority": "市场监督管理局",
            "event_date": date(2025, 7, 1),
            "filed_date": date(2025, 7, 1),
            "status": "active",
        }
    )
    return accounts, public


_batches = itertools.count()


def _write(
    ledger: Ledger,
    links: list[dict[str, Any]],
    subject: str,
    kind: str,
    identity: Mapping[str, Any],
    accounts: list[dict[str, Any]],
    public: list[dict[str, Any]],
) -> None:
    """One furnisher batch with ``subject``'s records under ``identity``."""
    tables: dict[str, pa.Table] = {}
    counts: dict[str, RecordCounts] = {}
    salt = hashlib.sha256(subject.encode()).hexdigest()[:12]
    for name, rows in (("accounts", accounts), ("public_records", public)):
        if not rows:
            continue
        full = []
        for n, row in enumerate(rows, start=1):
            record = {**row, **identity, "record_no": n, "subject_kind": kind}
            if name == "accounts":  # each subject's own account numbers
                record.update(
                    consumer_no=0,
                    account_key=f"acct-{salt}-{n}",
                    account_number_masked=f"****{salt[:4]}{n}",
                )
            else:  # and the authority's own case references
                record.update(record_ref=f"case-{salt}-{n}", document_number=f"doc-{salt}-{n}")
            full.append(record)
            links.append(
                {
                    "table_name": name,
                    "record_no": n,
                    "consumer_no": 0 if name == "accounts" else None,
                    "subject_id": subject,
                }
            )
        tables[name] = to_table(name, full)
        counts[name] = RecordCounts(len(full), len(full), 0)
    digest = hashlib.sha256(f"hidden-hand-{next(_batches)}-{subject}".encode()).hexdigest()
    manifest = ledger.write_batch("fur-bank-1", digest, "csv", tables, counts)
    for link in links:
        link.setdefault("batch_id", manifest.batch_id)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> CreditFiles:
    ledger = Ledger(tmp_path_factory.mktemp("ledger"))
    links: list[dict[str, Any]] = []
    twin_late = {0: "1", 5: "2", 9: "1"}  # 30, 60 and 30 days late
    for subject, identity in PERSON_IDENTITIES.items():
        _write(ledger, links, subject, "person", identity, person_accounts(twin_late), [])
    control = {**PERSON_IDENTITIES["P-twin-1"], "id_hash": "e" * 64}
    _write(ledger, links, CONTROL_PERSON, "person", control, person_accounts({}), [])
    for subject, identity in ENTERPRISE_IDENTITIES.items():
        _write(ledger, links, subject, "enterprise", identity, *enterprise_records(2))
    control_e = {**ENTERPRISE_IDENTITIES["E-twin-1"], "id_hash": "f" * 64}
    _write(ledger, links, CONTROL_ENTERPRISE, "enterprise", control_e, *enterprise_records(0))
    table = pa.Table.from_pylist(links, schema=LINKS_SCHEMA)
    return build_files(ledger, table, AS_OF, cn.PROFILE, at=EVERYTHING)


@pytest.fixture(scope="module")
def attributes(files: CreditFiles) -> pa.Table:
    return compute_attributes(files)


def person_model() -> ScorecardModel:
    """A small card over real attribute names: delinquency, utilisation, history, inquiries."""
    return ScorecardModel(
        name="no hidden hand",
        characteristics=(
            numerical("times_30_59_late_24m", (0.5, 1.5), (30, 12, 0, 0, 10), code="T01"),
            numerical("times_60_89_late_24m", (0.5,), (25, 0, 0, 5), code="T02"),
            numerical("revolving_utilisation", (0.3, 0.7), (20, 10, 0, 0, 8), code="T03"),
            numerical("oldest_account_age_months", (24.0, 96.0), (0, 8, 15, 0, 0), code="T04"),
            numerical("inquiries_12m", (0.5, 2.5), (10, 5, 0, 0, 5), inquiry=True, code="T05"),
        ),
        intercept=-3.0,
        base_points=520.0,
        scaling=DEFAULT_SCALING,
        points_decimals=0,
        training=TrainingInfo(
            data_sha256="0" * 64,
            data_name="in code",
            target="bad",
            id_column="subject_id",
            n_rows=100,
            n_train=70,
            n_holdout=30,
            bad_rate=0.1,
            settings={},
        ),
    )


def _row(table: pa.Table, subject: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = table.filter(pc.equal(table["subject_id"], subject)).to_pylist()
    assert len(rows) == 1, subject
    return rows[0]


def _facts(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "subject_id"}


# -- identical files, different identities -------------------------------------------------


def test_the_twins_files_differ_only_in_identity(files: CreditFiles) -> None:
    for subject in (*PERSON_IDENTITIES, *ENTERPRISE_IDENTITIES):
        assert subject in files.subjects.column("subject_id").to_pylist()
    facts = ("date_opened", "current_balance_minor", "account_status", "payment_history_profile")
    first, second = (
        [{k: r[k] for k in facts} for r in files.accounts.to_pylist() if r["subject_id"] == s]
        for s in PERSON_IDENTITIES
    )
    assert first == second and len(first) == 3


def test_identical_files_get_identical_attributes(attributes: pa.Table) -> None:
    for twins in (PERSON_IDENTITIES, ENTERPRISE_IDENTITIES):
        one, two = (_facts(_row(attributes, s)) for s in twins)
        assert one == two
    assert _facts(_row(attributes, CONTROL_PERSON)) != _facts(_row(attributes, "P-twin-1"))


def test_identical_files_get_identical_scores_and_reasons(attributes: pa.Table) -> None:
    model = person_model()
    scored = {r["subject_id"]: r for r in score_population(model, attributes).to_pylist()}
    one, two = (_facts(scored[s]) for s in PERSON_IDENTITIES)
    assert one == two
    assert one["reason_1"] == "T01"  # the late payments cost most
    explained = [score_one(model, _row(attributes, s)) for s in PERSON_IDENTITIES]
    assert explained[0].score == explained[1].score == one["score"]
    assert explained[0].reasons == explained[1].reasons
    assert scored[CONTROL_PERSON]["score"] > one["score"]  # the data does move the score


def test_identical_files_get_identical_grades_and_reasons(attributes: pa.Table) -> None:
    rated = {r["subject_id"]: r for r in rate_enterprises(attributes).to_arrow().to_pylist()}
    one, two = (_facts(rated[s]) for s in ENTERPRISE_IDENTITIES)
    assert one == two
    assert one["reason_1"] == "ET03"  # the abnormal-operations listing costs most
    singles = [rate_one(_row(attributes, s)) for s in ENTERPRISE_IDENTITIES]
    assert singles[0].grade == singles[1].grade == one["grade"]
    assert singles[0].reasons == singles[1].reasons
    assert singles[0].input_fingerprint == singles[1].input_fingerprint
    assert rated[CONTROL_ENTERPRISE]["points"] > one["points"]


# -- what scoring reads ----------------------------------------------------------------------


class Recording(Mapping[str, Any]):
    """A mapping of columns that remembers every column name looked up."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("scoring must not walk through every column")

    def __len__(self) -> int:
        return len(self._data)


def _columns(table: pa.Table) -> dict[str, list[Any]]:
    return {c: table.column(c).to_pylist() for c in table.column_names}


def test_score_table_reads_only_the_models_own_columns(attributes: pa.Table) -> None:
    model = person_model()
    data = Recording(_columns(attributes))
    score_table(model, data)
    assert data.read == set(model.feature_names)


def test_the_rating_reads_only_its_attributes_and_carries_the_id(attributes: pa.Table) -> None:
    method = default_methodology()
    data = Recording(_columns(attributes))
    rate_enterprises(data)
    assert data.read == {*method.attributes, "subject_id"}


def test_a_score_is_the_same_alone_or_in_any_batch_under_any_id(attributes: pa.Table) -> None:
    model = person_model()
    persons = attributes.filter(pc.equal(attributes["subject_kind"], "person"))
    together = score_table(model, persons)
    order = np.random.default_rng(3).permutation(persons.num_rows)
    shuffled = persons.take(order)
    renamed = shuffled.set_column(
        shuffled.column_names.index("subject_id"),
        "subject_id",
        pa.array([f"someone-else-{i}" for i in range(persons.num_rows)]),
    )
    again = score_table(model, renamed)
    assert np.array_equal(again.score, together.score[order])
    assert np.array_equal(again.reason_index, together.reason_index[order])
    without_ids = score_table(model, persons.drop_columns(["subject_id", "subject_kind"]))
    assert np.array_equal(without_ids.raw_points, together.raw_points)
    for i in range(persons.num_rows):
        alone = score_table(model, persons.slice(i, 1))
        assert alone.score[0] == together.score[i]
        assert np.array_equal(alone.reason_index[0], together.reason_index[i])


def test_a_grade_is_the_same_alone_or_in_any_batch_under_any_id(attributes: pa.Table) -> None:
    enterprises = attributes.filter(pc.equal(attributes["subject_kind"], "enterprise"))
    together = rate_enterprises(enterprises)
    renamed = enterprises.set_column(
        enterprises.column_names.index("subject_id"),
        "subject_id",
        pa.array(["x"] * enterprises.num_rows),
    ).take([2, 0, 1])
    again = rate_enterprises(renamed)
    assert again.grade.tolist() == together.grade[[2, 0, 1]].tolist()
    assert np.array_equal(again.reason_index, together.reason_index[[2, 0, 1]])


# -- identity can never be an input ------------------------------------------------------------


@pytest.mark.parametrize("column", ["subject_id", "id", "customer_id", "full_name", "id_hash"])
def test_training_refuses_an_identifier_as_an_input(column: str) -> None:
    with pytest.raises(RefusedInputError, match=column):
        admissible_inputs([column, "revolving_utilisation"], "bad", None, TrainConfig())


def test_every_identity_field_of_the_ledger_is_refused_as_an_input() -> None:
    identity = [name for name, _ in _SUBJECT_FIELDS if name not in ("subject_kind", "warnings")]
    refused = {r.name for r in refused_columns(identity)}
    assert sorted(set(identity) - refused) == []


def _score_modules() -> list[Path]:
    return sorted(SCORE_PACKAGE.glob("*.py"))


def test_no_function_in_xinyong_score_takes_a_subject_or_its_identity() -> None:
    suspicious = {"subject", "subjects", "identity", "uscc", "ric", "ssn", "passport", "phone"}
    found = []
    for path in _score_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                    if suspicious & set(arg.arg.lower().split("_")):
                        found.append(f"{path.name}:{node.name}({arg.arg})")
    assert found == []


def test_only_the_output_builders_name_the_subject_id_column() -> None:
    """``subject_id`` appears only where results are labelled, and the tests above show
    those paths carry it without reading it."""
    naming = set()
    for path in _score_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value == "subject_id":
                naming.add(path.name)
    assert naming <= {"population.py", "enterprise.py"}


def test_the_public_scoring_functions_take_a_model_and_data_only() -> None:
    for function in (score_table, score_one, score_population, rate_enterprises, rate_one):
        params = list(inspect.signature(function).parameters)
        assert len(params) == 2, (function.__name__, params)
