"""The model card: a markdown page generated from the model's own data.

A card written by hand drifts from the model it describes; this one is a pure
function of the stored model, so the published scorecard table is the table
that scores.
"""

from __future__ import annotations

from xinyong.score.model import ScorecardModel
from xinyong.score.reasons import MAX_KEY_FACTORS

__all__ = ["render_card"]


def _fmt(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}"


def _points(value: float) -> str:
    return f"{value:g}"


def render_card(model: ScorecardModel) -> str:
    """Markdown for ``<id>.card.md``: scale, data, exclusions, metrics, the points table."""
    s = model.scaling
    t = model.training
    lines = [
        f"# Scorecard: {model.name}",
        "",
        f"- **Model id** (SHA-256 of its content): `{model.model_id}`",
        f"- **Created**: {model.created_at or 'unknown'}",
        f"- **Outcome**: `{t.target}` = 1 is the bad outcome the score predicts",
        f"- **Scale** `{s.name}`: {_points(s.points0)} points at {_points(s.odds0)}:1 good:bad "
        f"odds, {_points(s.pdo)} points to double the odds (factor {_fmt(s.factor)}, offset "
        f"{_fmt(s.offset)}), range {s.score_min}-{s.score_max}",
        f"- **Score** = base points {_points(model.base_points)} + the points of each "
        "characteristic below; higher is better.",
        "",
        "## Development data",
        "",
        f"- File `{t.data_name}`, SHA-256 `{t.data_sha256}`",
        f"- {t.n_rows} rows, bad rate {t.bad_rate:.2%}; {t.n_train} to develop, "
        f"{t.n_holdout} held out (stratified, seed {t.settings.get('seed')})",
        f"- Row id column: `{t.id_column}` (carried, never an input)"
        if t.id_column
        else "- Row id column: none",
        "",
        "### Refused inputs (protected attributes and identifiers)",
        "",
    ]
    lines += [f"- `{name}`: {why}" for name, why in t.refused] or ["- none offered"]
    lines += ["", "### Columns left out by selection", ""]
    lines += [f"- `{name}`: {why}" for name, why in t.dropped] or ["- none"]
    lines += ["", "## Performance", ""]
    m = model.metrics
    if m is None:
        lines.append("No holdout metrics were computed.")
    else:
        lines += [
            f"On the {m.sample} sample ({m.n} rows, bad rate {m.bad_rate:.2%}):",
            "",
            "| AUC | KS | Gini | Brier |",
            "| ---: | ---: | ---: | ---: |",
            f"| {_fmt(m.auc)} | {_fmt(m.ks)} | {_fmt(m.gini)} | {_fmt(m.brier)} |",
            "",
            "Calibration by decile of predicted bad rate (1 = lowest risk):",
            "",
            "| decile | rows | predicted bad rate | observed bad rate |",
            "| ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {b.decile} | {b.count} | {b.predicted_bad_rate:.4f} | {b.observed_bad_rate:.4f} |"
            for b in m.calibration
        ]
    lines += [
        "",
        "## Scorecard",
        "",
        f"Reason codes: the at most {MAX_KEY_FACTORS} characteristics where the subject lost most "
        "points against the best points any value earned in development (special and "
        "missing bins are not the reference), largest first; an inquiry characteristic "
        "that lost points is added as a fifth (FCRA 609(f)(9)).",
        "",
    ]
    for ch in model.characteristics:
        flag = " (inquiries)" if ch.inquiry else ""
        lines += [
            f"### {ch.label} — `{ch.name}`{flag}",
            "",
            f"Reason code **{ch.reason_code}**: {ch.reason_text}. IV {_fmt(ch.iv)}, "
            f"coefficient {_fmt(ch.coefficient)}.",
            "",
        ]
        meaning = model.definitions.get(ch.name, {}).get("meaning")
        if meaning:
            lines += [f"Input: {meaning}", ""]
        lines += [
            "| bin | rows | bad rate | WoE | points |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for label, good, bad, woe, pts in zip(
            ch.bin_labels(), ch.count_good, ch.count_bad, ch.woe, ch.points, strict=True
        ):
            n = good + bad
            rate = f"{bad / n:.4f}" if n else "-"
            lines.append(f"| {label} | {n} | {rate} | {woe:.4f} | {_points(pts)} |")
        lines.append("")
    if model.software:
        lines += ["## Software", ""]
        lines += [f"- {k} {v}" for k, v in sorted(model.software.items())]
        lines.append("")
    return "\n".join(lines)
