"""Synthetic population generator: a country in a box whose true risk is known.

``generate`` writes furnisher files (CSV, JSON Lines, Parquet, Metro 2) for
persons and enterprises, with realistic dirt and about one per cent of
deliberately invalid records, plus a ``truth/`` folder that says who every
record is about, which records ingest must reject, and each subject's latent
risk and twelve-month default outcome, so that resolution and scoring can be
measured against the truth.
"""

from __future__ import annotations

from xinyong.synth.generate import DEFAULT_CHUNK, generate
from xinyong.synth.output import FileSummary, SynthSummary

__all__ = ["DEFAULT_CHUNK", "FileSummary", "SynthSummary", "generate"]
