"""Identifiers are valid per python-stdnum and consistent with the truth,
except the deliberately broken ones; sex is never written."""

from __future__ import annotations

import random
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.us import ssn
from synth_helpers import Run, canonical_files, read_canonical, records_with_truth, truth_rows

from xinyong.synth.identity import make_person, make_ric, make_uscc
from xinyong.synth.vocab import vocabulary


def test_truth_identifiers_are_valid(synth_run: Run) -> None:
    persons = truth_rows(synth_run.root, "persons.csv")
    rics = [p for p in persons if p["cn_ric"]]
    assert len(rics) > len(persons) // 2
    for p in rics:
        assert ric.is_valid(p["cn_ric"]), p["cn_ric"]
        assert ric.get_birth_date(p["cn_ric"]).isoformat() == p["birth_date"]
    assert all(ssn.is_valid(p["us_ssn"]) for p in persons if p["us_ssn"])
    assert any(p["passport"] and p["passport_country"] for p in persons)
    enterprises = truth_rows(synth_run.root, "enterprises.csv")
    assert enterprises and all(uscc.is_valid(e["cn_uscc"]) for e in enterprises)


def test_furnished_identifiers_valid_unless_planted(synth_run: Run) -> None:
    checked = 0
    for _, record, truth in records_with_truth(synth_run.root):
        scheme, value = record.get("id_scheme"), record.get("id_value")
        if scheme not in ("cn_ric", "cn_uscc"):
            continue
        valid = (ric if scheme == "cn_ric" else uscc).is_valid(value)
        assert valid == (truth["rule"] != "checksum"), (truth, value)
        checked += 1
    assert checked > 1000


def test_ric_follows_birth_date_and_area_codes() -> None:
    rng = random.Random(1)
    for _ in range(500):
        born = date(rng.randint(1940, 2006), rng.randint(1, 12), rng.randint(1, 28))
        number = make_ric(rng, born, rng.random() < 0.5)
        assert ric.is_valid(number) and ric.get_birth_date(number) == born
    county = vocabulary().current_counties[0]
    assert all(uscc.is_valid(make_uscc(rng, county)) for _ in range(200))


def test_person_is_a_pure_function_of_seed_and_index() -> None:
    observed = date(2026, 6, 30)
    assert make_person(5, 42, observed) == make_person(5, 42, observed)
    assert make_person(5, 42, observed) != make_person(5, 43, observed)


def test_sex_is_never_written(synth_run: Run) -> None:
    forbidden = {"sex", "gender"}
    for path in canonical_files(synth_run.root):
        assert not forbidden & set(next(read_canonical(path))), path
    for name in ("persons.csv", "enterprises.csv", "records.csv"):
        assert not forbidden & set(truth_rows(synth_run.root, name)[0]), name
    assert not hasattr(make_person(1, 1, date(2026, 6, 30)), "sex")
