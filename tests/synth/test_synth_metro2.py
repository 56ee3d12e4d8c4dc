"""The card issuer's Metro 2 files are read and validated by the ingest
package's own Metro 2 reader: valid records pass, planted ones fail."""

from __future__ import annotations

from synth_helpers import Run, truth_rows

from xinyong.ingest.metro2 import read, trailer_mismatches, validate_header, validate_record


def test_metro2_files_read_and_validate(synth_run: Run) -> None:
    truth = {(r["file"], int(r["record_no"])): r for r in truth_rows(synth_run.root)}
    files = sorted((synth_run.root / "furnishers").rglob("*.dat"))
    assert len(files) == 2  # one per reporting month
    accepted = 0
    for path in files:
        rel = path.relative_to(synth_run.root).as_posix()
        data = read(path.read_bytes())
        assert validate_header(data.header) == []
        assert trailer_mismatches(data) == []
        as_of = data.header.date("date_created")
        for record in data.records:
            row = truth[(rel, record.record_no)]
            rules = {v.rule for v in validate_record(record, as_of=as_of)}
            if row["expect"] == "accept":
                assert not rules, (record.record_no, rules)
                assert record.base.text("social_security_number") or record.base.date("date_birth")
                accepted += 1
            else:
                assert row["rule"] in rules, (row, rules)
    assert accepted > 300


def test_metro2_ssn_is_in_the_truth(synth_run: Run) -> None:
    ssns = {p["us_ssn"] for p in truth_rows(synth_run.root, "persons.csv") if p["us_ssn"]}
    path = next((synth_run.root / "furnishers").rglob("*.dat"))
    reported = {r.base.raw("social_security_number") for r in read(path.read_bytes()).records}
    reported.discard("000000000")
    assert reported and reported <= ssns
