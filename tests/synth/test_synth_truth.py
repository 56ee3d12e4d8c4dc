"""The truth covers every furnished record and every subject, and the
manifest and summary agree with the files."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from synth_helpers import Run, truth_rows

from xinyong.domain.organisations import business_contact
from xinyong.ingest.metro2 import read


def _count_records(path_text: str, run: Run) -> int:
    path = run.root / path_text
    if path.suffix == ".dat":
        return len(read(path.read_bytes()).records)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    lines = path.read_text(encoding="utf-8").count("\n")
    return lines - 1 if path.suffix == ".csv" else lines


def test_truth_maps_every_record_once(synth_run: Run) -> None:
    rows = truth_rows(synth_run.root)
    numbers: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        numbers[row["file"]].append(int(row["record_no"]))
    files = {f.path: f for f in synth_run.summary.files}
    assert numbers.keys() == files.keys()
    for name, seen in numbers.items():
        assert sorted(seen) == list(range(1, files[name].records + 1)), name
        assert _count_records(name, synth_run) == files[name].records, name


def test_truth_subjects_exist(synth_run: Run) -> None:
    persons = {p["subject_id"]: p for p in truth_rows(synth_run.root, "persons.csv")}
    enterprises = truth_rows(synth_run.root, "enterprises.csv")
    subjects = persons.keys() | {e["subject_id"] for e in enterprises}
    assert len(persons) == synth_run.summary.persons == 1500
    assert len(enterprises) == synth_run.summary.enterprises == 200
    assert {r["true_subject_id"] for r in truth_rows(synth_run.root)} <= subjects
    reps = [e["legal_rep_subject_id"] for e in enterprises]
    assert all(reps)
    assert all(persons[r]["segment"] != "us" for r in reps)
    for p in persons.values():
        assert 0 < float(p["pd_12m"]) < 1 and p["default_12m"] in ("0", "1")


def test_same_person_at_several_furnishers(synth_run: Run) -> None:
    furnishers: dict[str, set[str]] = defaultdict(set)
    for row in truth_rows(synth_run.root):
        furnishers[row["true_subject_id"]].add(row["furnisher_id"])
    assert sum(len(f) >= 3 for f in furnishers.values()) > 300


def test_expected_rejects_are_about_one_percent(synth_run: Run) -> None:
    rows = truth_rows(synth_run.root)
    rejects = [r for r in rows if r["expect"] == "reject"]
    assert 0.004 < len(rejects) / len(rows) < 0.025
    assert all(r["rule"] and r["field"] for r in rejects)
    assert rejects == truth_rows(synth_run.root, "rejects.csv")
    assert synth_run.summary.expected_rejects == len(rejects)
    assert dict(Counter(r["rule"] for r in rejects)) == synth_run.summary.rejects_by_rule


def test_dirt_is_present(synth_run: Run) -> None:
    tags = Counter(t for r in truth_rows(synth_run.root) for t in (r["dirt"] or "").split(";") if t)
    for tag in ("no_id", "pinyin", "name_typo", "name_order_swapped", "old_address"):
        assert tags[tag] > 0, tag


def test_manifest_and_summary(synth_run: Run) -> None:
    manifest = json.loads((synth_run.root / "manifest.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in manifest["files"]] == [f.path for f in synth_run.summary.files]
    assert not any(f["path"].startswith("truth/") for f in manifest["files"])
    formats = {f.format for f in synth_run.summary.files}
    assert formats == {"csv", "jsonl", "parquet", "metro2"}
    summary = json.loads((synth_run.root / "truth" / "summary.json").read_text(encoding="utf-8"))
    assert summary == json.loads(json.dumps(synth_run.summary.to_dict()))
    assert synth_run.summary.months == ("2026-05", "2026-06")
    organisations = json.loads((synth_run.root / "furnishers.json").read_text(encoding="utf-8"))
    assert {f.furnisher_id for f in synth_run.summary.files} <= {o["org_id"] for o in organisations}
    # Fictional business contact details the registry accepts (FCRA 611(a)(7) names them).
    for org in organisations:
        assert business_contact(org["address"], org["telephone"]) == (
            org["address"],
            org["telephone"],
        )
        assert org["address"] and org["telephone"]
