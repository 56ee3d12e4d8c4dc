"""The card issuer's Metro 2 files are read and validated by the ingest
package's own Metro 2 reader: valid records pass, planted ones fail."""

from __future__ import annotations

import random
from datetime import date

from synth_helpers import Run, truth_rows

from xinyong.ingest.metro2 import (
    Metro2File,
    Record,
    Segment,
    read,
    trailer_mismatches,
    trailer_totals,
    validate_header,
    validate_record,
    write,
)
from xinyong.synth.dirt import corrupt
from xinyong.synth.furnishers import FORMATS, Furnisher
from xinyong.synth.generate import Params, _Run
from xinyong.synth.metro2_out import BaseEncoder, base_segment
from xinyong.synth.records import Row, as_record, as_row
from xinyong.synth.rng import month_index


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


def _card_rows() -> tuple[Furnisher, list[Row]]:
    """Account rows of the Metro 2 card issuer for a few hundred persons,
    plus copies broken the ways the generator breaks Metro 2 records."""
    run = _Run(Params(5, 600, date(2026, 6, 30), (month_index(date(2026, 6, 30)),), FORMATS))
    for index in range(600):
        run.person(index)
    parts = [(f, rows) for f, _, fmt, rows in run.chunk.parts() if fmt == "metro2"]
    assert len(parts) == 1
    furnisher, rows = parts[0]
    rng = random.Random(1)
    broken = []
    for row in rows[:60]:
        record = as_record(row)
        corrupt(rng, record, metro2=True)
        broken.append(as_row(record))
    return furnisher, rows + broken


def test_base_encoder_matches_the_ingest_writer() -> None:
    """The compiled base-segment formatter writes exactly what
    ``Segment.build`` and ``write`` of the ingest package write, and the
    trailer totals it sums are those ``trailer_totals`` recomputes."""
    furnisher, rows = _card_rows()
    assert len(rows) > 100
    encoder = BaseEncoder(furnisher)
    chunk = encoder.encode(rows)
    records = [
        Record(base=base_segment(as_record(row), encoder.identification_number), record_no=i)
        for i, row in enumerate(rows, 1)
    ]
    file = Metro2File(Segment.build("header"), records, Segment.build("trailer"))
    framed = write(file, "fixed", newline=b"\n")
    unit = len(framed) // (len(rows) + 2)
    assert chunk.records == len(rows)
    assert chunk.data == framed[unit:-unit]
    expected = {k: v for k, v in trailer_totals(file).items() if v}
    expected.pop("total_base_records")
    expected.pop("block_count")
    assert dict(chunk.totals) == expected
