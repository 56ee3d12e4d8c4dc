"""The latent risk is the truth a score must find: it drives both the
twelve-month default and the delinquency that furnishers report."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

from synth_helpers import Run, records_with_truth, truth_rows

from xinyong.synth.identity import make_person


def test_top_decile_defaults_far_more_than_bottom() -> None:
    people = sorted(
        (make_person(11, i, date(2026, 6, 30)) for i in range(8000)), key=lambda p: p.latent
    )
    tenth = len(people) // 10
    bottom = sum(p.defaults for p in people[:tenth]) / tenth
    top = sum(p.defaults for p in people[-tenth:]) / tenth
    assert top > 0.12 and top > 8 * max(bottom, 0.005)


def test_reported_delinquency_rises_with_latent_risk(synth_run: Run) -> None:
    latent = {
        p["subject_id"]: float(p["latent_risk"]) for p in truth_rows(synth_run.root, "persons.csv")
    }
    ranked = sorted(latent, key=latent.__getitem__)
    quintile = {sid: 5 * i // len(ranked) for i, sid in enumerate(ranked)}
    accounts: dict[int, list[bool]] = defaultdict(list)
    for _, record, truth in records_with_truth(synth_run.root):
        if record["record_kind"] != "account" or truth["true_subject_id"] not in quintile:
            continue
        profile = record.get("payment_history_profile") or ""
        accounts[quintile[truth["true_subject_id"]]].append(bool(re.search("[1-6GLHJK]", profile)))
    rate = {q: sum(v) / len(v) for q, v in accounts.items()}
    assert rate[4] > 4 * rate[0]
    assert rate[0] < rate[2] < rate[4]
