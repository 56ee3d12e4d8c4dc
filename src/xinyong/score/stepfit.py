"""Points per bin: the WoE card, corrected bin by bin where the joint data say so.

The classic scorecard fits one coefficient per characteristic on its weight of
evidence (WoE). WoE is univariate: when characteristics overlap (GMSC's three
late-payment counts, and their shared 96/98 "refused" codes), one scalar per
characteristic cannot re-weight its bins, so the card loses what the joint data
say about each bin. Here each bin's log-odds effect is the WoE card's
(coefficient x WoE, the *base*) plus a deviation, and the deviations are fitted
jointly by logistic regression with an L2 penalty that pulls them back to the
WoE card. The card stays readable:

* a numerical characteristic's deviations are coded in **ordered steps**,
  ``[bin >= j]`` for each regular bin ``j > 0``, each bounded so that the *total*
  step between neighbouring bins keeps the sign of the characteristic's
  bad-rate trend: effects (and points) only rise or only fall across its bins,
  exactly like the monotone bins;
* the special and the missing bin have a free deviation each; a bin with no
  training rows gets the characteristic's average effect (no evidence, no
  credit either way);
* a categorical characteristic has one free deviation per group.

The penalty is chosen by k-fold cross-validation on the development rows only
(out-of-fold log-loss), never on the holdout; on a small sample it comes out
large and the card is the WoE card, on a large one the joint data correct it.
Fitting is L-BFGS-B with the bounds, in plain NumPy and SciPy, without building the design matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Block", "StepFit", "choose_penalty", "fit_steps"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Block:
    """One characteristic's bin indices on the development rows and its trend.

    ``direction`` is +1 when risk rises with the regular bin index, -1 when it
    falls, and 0 for free (categorical) effects. Bins ``n_regular`` and
    ``n_regular + 1`` are the special and the missing bin. ``base`` is each
    bin's effect in the WoE card (coefficient x WoE), the point deviations
    are pulled back to.
    """

    idx: IntArray
    n_regular: int
    direction: int
    base: FloatArray


@dataclass(frozen=True, slots=True)
class StepFit:
    """Per-bin log-odds-of-bad effects (one array per block) and the intercept."""

    effects: tuple[FloatArray, ...]
    intercept: float
    penalty: float


def _bounds(block: Block) -> list[tuple[float | None, float | None]]:
    """Bounds of a block's parameters: regular steps (or groups), then special, missing."""
    out: list[tuple[float | None, float | None]] = []
    for j in range(1, block.n_regular):
        base_step = float(block.base[j] - block.base[j - 1])
        if block.direction > 0:
            out.append((-base_step, None))
        elif block.direction < 0:
            out.append((None, -base_step))
        else:
            out.append((None, None))
    return [*out, (None, None), (None, None)]


def _deviation(block: Block, params: FloatArray) -> FloatArray:
    """Per-bin deviation from the WoE card: ordered steps are summed, groups are not."""
    r = block.n_regular
    regular = params[: r - 1] if block.direction == 0 else np.cumsum(params[: r - 1])
    return np.concatenate([[0.0], regular, params[r - 1 : r + 1]])


def _gradient(block: Block, idx: IntArray, residual: FloatArray) -> FloatArray:
    """d loss / d params of one block, from the residual summed per bin."""
    r = block.n_regular
    per_bin = np.bincount(idx, weights=residual, minlength=r + 2)
    regular = per_bin[1:r]
    if block.direction != 0:  # step j moves every regular bin >= j
        regular = np.cumsum(regular[::-1])[::-1]
    return np.concatenate([regular, per_bin[r : r + 2]])


def _solve(
    blocks: Sequence[Block],
    rows: IntArray | None,
    y: FloatArray,
    penalty: float,
    start: FloatArray | None = None,
) -> FloatArray:
    """Minimise mean log-loss + penalty/2 * |deviations|^2 within the bounds.

    The design is never built: each block's bin index gathers its effect and
    scatters its gradient (``bincount``), so a fit costs a few passes over the
    rows per iteration. ``rows`` restricts the fit to a subset (a CV fold);
    ``start`` (deviations, then intercept) warm-starts it. Returns the
    parameters with the intercept last.
    """
    from scipy.optimize import minimize  # type: ignore[import-untyped]

    idxs = [b.idx if rows is None else b.idx[rows] for b in blocks]
    offset = sum((b.base[i] for b, i in zip(blocks, idxs, strict=True)), np.zeros(y.size))
    sizes = [b.n_regular + 1 for b in blocks]
    cuts = np.cumsum([0, *sizes])
    bounds = [bound for b in blocks for bound in _bounds(b)]
    n = float(y.size)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        w, b = theta[:-1], theta[-1]
        z = offset + b
        for block, idx, lo, hi in zip(blocks, idxs, cuts[:-1], cuts[1:], strict=True):
            z = z + _deviation(block, w[lo:hi])[idx]
        loss = float(np.sum(np.logaddexp(0.0, z) - y * z)) / n
        residual = (0.5 * (1.0 + np.tanh(0.5 * z)) - y) / n  # logistic, overflow-free
        grad = np.empty_like(theta)
        for block, idx, lo, hi in zip(blocks, idxs, cuts[:-1], cuts[1:], strict=True):
            grad[lo:hi] = _gradient(block, idx, residual)
        grad[:-1] += penalty * w
        grad[-1] = float(residual.sum())
        return loss + 0.5 * penalty * float(w @ w), grad

    if start is None:
        start = np.zeros(int(cuts[-1]) + 1)
        rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        start[-1] = np.log(rate / (1 - rate)) - float(offset.mean())
    low, high = _limits(bounds)
    result = minimize(
        objective,
        np.clip(start, low, high),
        jac=True,
        method="L-BFGS-B",
        bounds=[*bounds, (None, None)],
        options={"maxiter": 1000, "ftol": 1e-10, "gtol": 1e-7},
    )
    return np.asarray(result.x, dtype=np.float64)


def _predict(blocks: Sequence[Block], rows: IntArray, theta: FloatArray) -> FloatArray:
    cuts = np.cumsum([0, *(b.n_regular + 1 for b in blocks)])
    z = np.full(rows.size, theta[-1])
    for block, lo, hi in zip(blocks, cuts[:-1], cuts[1:], strict=True):
        z += (block.base + _deviation(block, theta[lo:hi]))[block.idx[rows]]
    return z


def _limits(bounds: list[tuple[float | None, float | None]]) -> tuple[FloatArray, FloatArray]:
    low = [-np.inf if lo is None else lo for lo, _ in bounds] + [-np.inf]
    high = [np.inf if hi is None else hi for _, hi in bounds] + [np.inf]
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def _effects(blocks: Sequence[Block], theta: FloatArray) -> tuple[FloatArray, ...]:
    out: list[FloatArray] = []
    at = 0
    for block in blocks:
        r = block.n_regular
        effect = block.base + _deviation(block, theta[at : at + r + 1])
        at += r + 1
        counts = np.bincount(block.idx, minlength=r + 2)
        average = float(np.sum(effect * counts) / max(int(counts.sum()), 1))
        out.append(np.where(counts > 0, effect, average))
    return tuple(out)


def fit_steps(blocks: Sequence[Block], y: npt.ArrayLike, penalty: float) -> StepFit:
    """Fit all blocks jointly with one penalty; effects are log-odds of bad per bin."""
    target = np.asarray(y, dtype=np.float64)
    theta = _solve(blocks, None, target, penalty)
    return StepFit(_effects(blocks, theta), float(theta[-1]), penalty)


def _log_loss(y: FloatArray, z: FloatArray) -> float:
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def choose_penalty(
    blocks: Sequence[Block],
    y: npt.ArrayLike,
    penalties: Sequence[float],
    folds: int,
    seed: int,
) -> float:
    """The penalty with the lowest out-of-fold log-loss (stratified k folds, fixed seed).

    Ties go to the larger penalty, the card closer to the WoE card.
    """
    if len(penalties) == 1 or folds < 2:
        return float(max(penalties))
    from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

    target = np.asarray(y, dtype=np.float64)
    losses = {float(p): 0.0 for p in penalties}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_rows, test_rows in splitter.split(np.zeros(target.size), target):
        start: FloatArray | None = None
        for p in sorted(losses, reverse=True):  # strongest first, each warm-starts the next
            start = _solve(blocks, fit_rows, target[fit_rows], p, start)
            losses[p] += _log_loss(target[test_rows], _predict(blocks, test_rows, start))
    best = min(losses.values())
    return max(p for p, loss in losses.items() if loss <= best + 1e-12)
