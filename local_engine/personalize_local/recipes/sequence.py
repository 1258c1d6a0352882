"""User-personalization as a next-item distribution: a collaborative base model blended with next-item
transitions over the user's most recent items and with recent popularity.

    score(u, j) = w_base * softmax((base(u) / sd + beta * prior) / tau)_j + w_seq * seq(u)_j + w_pop * pop_j

`base` is the recipe's collaborative model (ALS for aws-user-personalization, EASE for -v2), `prior` an item
popularity prior (log of the interaction count, or of interactions per day since the item appeared, which suits a
growing catalogue), `sd` the typical spread of users' base scores; `seq(u)` averages
P(next = j | r) over the user's `bptt` most recent items r, the most recent weighing most (decay `gamma` per
step back); `pop` is the share of (recency-weighted) interactions. Each part is a distribution over the
catalogue, so the blend is one too: scores lie in [0, 1], sum to 1 over all items and fall down the list, as
Personalize documents for this recipe. Users with no history get `pop` alone.

The order of a user's recent items carries much of the signal on real activity data (series watched in order,
sessions inside one genre); how much differs by data set. So the blend weights, prior, tau and gamma are chosen
when the model trains, by a coordinate search on validation users treated as the metrics treat test users: up to
a tenth of the users (at most `VALIDATION_USERS`) leave the base model, the transitions and the popularity, their
oldest 90% of interactions are folded in and their newest 10% scored by NDCG@10. A step of the search is taken
only if it wins on both halves of those users. A weight given as a hyperparameter (sequence_weight,
popularity_weight) is used as given instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..ranking import top_k
from .base import Model, TrainingData, hp_float, hp_int, recency_query

VALIDATION_USERS = 1000
SPREAD_SAMPLE = 1024
RATE_EVIDENCE = 3.0
TRANSITION_TOP = 100  # successors kept per item: the tail is noise and makes serving slow
VALIDATION_CELLS = 8_000_000  # validation users x items scored per combination: bounds the search's cost
TAUS = (0.15, 0.3, 0.6)
GAMMAS = (0.6, 0.9)
SEQUENCE_WEIGHTS = (0.0, 0.2, 0.4, 0.6, 0.8)
POPULARITY_WEIGHTS = (0.0, 0.1, 0.3)
# Prior weights are in units of the typical base-score spread: ALS and EASE rank within a taste but under-weight how
# much more often popular items are consumed, by a margin that differs by data set.
PRIORS = (("none", 0.0), *((name, w) for name in ("count", "rate") for w in (1.0, 3.0, 10.0, 30.0)))
DEFAULT_BLEND = (0.3, 0.8, 0.4, 0.1, "count", 1.0)  # the Blend fields used when there is nothing to validate on


@dataclass(frozen=True)
class Blend:
    tau: float
    gamma: float
    sequence_weight: float
    popularity_weight: float
    prior: str = "none"
    prior_weight: float = 0.0

    @property
    def base_weight(self) -> float:
        return max(0.0, 1.0 - self.sequence_weight - self.popularity_weight)


def base_spread(raw: np.ndarray, support: np.ndarray | None = None) -> float:
    """The typical spread of users' base scores (median over rows of an evenly spaced sample of items): the unit
    in which the temperature and the prior weight are given, so they mean the same for any base model."""
    scored = raw if support is None else raw[:, support]
    step = max(1, scored.shape[1] // SPREAD_SAMPLE)
    spread = float(np.median(scored[:, ::step].std(axis=1))) if len(scored) else 0.0
    return spread if spread > 0 else 1.0


def softmax_rows(
    raw: np.ndarray,
    tau: float,
    scale: float,
    support: np.ndarray | None = None,
    prior: np.ndarray | None = None,
    prior_weight: float = 0.0,
    in_place: bool = False,
    weight: float = 1.0,
) -> np.ndarray:
    """Row-wise softmax of raw / scale + prior_weight * prior at temperature tau; items outside `support` get no
    share. `in_place` reuses `raw`; each row sums to `weight` (a blend weight applied in the same pass)."""
    logits = raw if in_place and raw.dtype == np.float32 else raw.astype(np.float32)
    logits *= np.float32(1.0 / scale)
    if prior is not None and prior_weight:
        logits += (np.float32(prior_weight) * prior)[None, :]
    if support is not None:
        logits[:, ~support] = -np.inf
    logits -= logits.max(axis=1, keepdims=True)
    logits *= np.float32(1.0 / tau)
    out = np.exp(logits, out=logits)
    out *= np.float32(weight) / out.sum(axis=1, keepdims=True)
    return out


class SequenceBlend(Model):
    """Mixin for recipes whose scores are a next-item distribution; subclasses supply the base model."""

    scores_are_probabilities = True
    base_mask: np.ndarray | None = None  # items the base model scores (None: all)

    # Subclass hooks --------------------------------------------------------------------------------------
    def _fit_base(self, data: TrainingData, matrix: sp.csr_matrix) -> None:
        raise NotImplementedError

    def base_scores(self, histories: sp.csr_matrix, rows: np.ndarray | None) -> np.ndarray:
        """Raw base-model scores; `rows` are known users' rows when the histories are theirs."""
        raise NotImplementedError

    def _add_users(self, rows: np.ndarray) -> None:
        """The validation users were left out of the base model: give them their place from their full history."""

    # Training ------------------------------------------------------------------------------------------
    def _fit(self, data: TrainingData, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray) -> None:
        self.bptt = max(1, hp_int(self.hyper, "bptt", 32))
        window = max(1, hp_int(self.hyper, "transition_window", 3))
        order = np.lexsort((ts, rows))
        rows, cols, ts = rows[order], cols[order], ts[order]
        starts = np.searchsorted(rows, np.arange(len(self.user_ids) + 1))
        held_users = self._validation_users(np.diff(starts))
        # Validation users are held out of the base model, the transitions and the popularity entirely, their oldest
        # 90% of interactions are the input and the newest 10% (at least one) the truth: as metrics.py treats test
        # users, so the blend is chosen for the quantity the solution metrics report (a new user's history folded
        # into the model, not factors it was trained with).
        lengths = np.diff(starts)
        n_truth = np.maximum(1, np.floor(lengths * 0.1)).astype(int)
        held_users_mask = np.zeros(len(self.user_ids), dtype=bool)
        held_users_mask[held_users] = True
        position = np.arange(len(rows)) - starts[rows]
        is_held = held_users_mask[rows]
        truth = is_held & (position >= (lengths - n_truth)[rows])
        keep = ~is_held
        shape = self.history.shape
        train = self.weighted_matrix(rows[keep], cols[keep], ts[keep], shape)
        self._fit_base(data, train)
        self.priors = self._priors(train)
        sample = np.random.default_rng(self.seed).permutation(np.flatnonzero(~held_users_mask))[:512]
        self.scale = base_spread(self.base_scores(train[sample], sample), self.base_mask)
        self.transitions = self._transition_matrix(rows[keep], cols[keep], window, shape[1])
        counts = np.asarray(train.sum(axis=0)).ravel()
        self.pop = (counts / max(float(counts.sum()), 1e-9)).astype(np.float32)
        inputs = is_held & ~truth
        held_inputs = self.weighted_matrix(rows[inputs], cols[inputs], ts[inputs], shape)
        self.blend = self._choose_blend(held_inputs, rows[inputs], cols[inputs], held_users, rows[truth], cols[truth])
        if len(held_users):
            self._add_users(held_users)
        self.recent_ptr, self.recent_items = self._recent(rows, cols, starts)

    def _priors(self, train: sp.csr_matrix) -> dict[str, np.ndarray]:
        """Popularity priors in [0, 1]: log interaction count, and log (shrunk) interactions per day of exposure."""
        counts = np.asarray((train > 0).sum(axis=0)).ravel().astype(np.float64)
        exposure_days = np.maximum(self.item_age_days, hp_float(self.hyper, "min_exposure_days", 7.0))
        out = {"none": np.zeros(len(counts), dtype=np.float32)}
        # A rate needs evidence: shrunk by count / (count + 3), one interaction on a brand-new item earns a quarter
        # of its raw rate, so a handful of such items cannot swamp a warm user's list.
        rate = counts / exposure_days * (counts / (counts + RATE_EVIDENCE))
        for name, values in (("count", np.log1p(counts)), ("rate", np.log1p(rate))):
            out[name] = (values / max(float(values.max(initial=0.0)), 1e-12)).astype(np.float32)
        return out

    def _validation_users(self, lengths: np.ndarray) -> np.ndarray:
        eligible = np.flatnonzero(lengths >= 3)
        # At most a tenth of the users leave the base model, as many as the metrics' test split takes.
        budget = min(VALIDATION_USERS, VALIDATION_CELLS // max(1, len(self.item_ids)), len(lengths) // 10)
        if len(eligible) < 20 or budget < 20:
            return np.zeros(0, dtype=int)
        rng = np.random.default_rng(self.seed)
        return np.sort(rng.choice(eligible, size=min(budget, len(eligible)), replace=False))

    @staticmethod
    def _transition_matrix(rows: np.ndarray, cols: np.ndarray, window: int, n_items: int) -> sp.csr_matrix:
        """P(next item = j | item i): item i followed by j within `window` steps of one user, 1/step each."""
        src, dst, weight = [], [], []
        for step in range(1, window + 1):
            same = (rows[:-step] == rows[step:]) & (cols[:-step] != cols[step:])
            src.append(cols[:-step][same])
            dst.append(cols[step:][same])
            weight.append(np.full(int(same.sum()), 1.0 / step, dtype=np.float32))
        matrix = sp.csr_matrix(
            (np.concatenate(weight), (np.concatenate(src), np.concatenate(dst))), shape=(n_items, n_items)
        )
        matrix.sum_duplicates()
        matrix = _top_per_row(matrix.tocsr(), TRANSITION_TOP)
        totals = np.asarray(matrix.sum(axis=1)).ravel()
        return sp.csr_matrix(sp.diags(1.0 / np.where(totals > 0, totals, 1.0)) @ matrix, dtype=np.float32)

    def _recent(self, rows: np.ndarray, cols: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each user's `bptt` newest items, oldest first, as a CSR-like (ptr, items) pair."""
        lengths = np.minimum(np.diff(starts), self.bptt)
        ptr = np.concatenate([[0], np.cumsum(lengths)])
        position = np.arange(len(rows)) - starts[rows]
        keep = position >= (np.diff(starts) - self.bptt)[rows]
        return ptr, cols[keep].astype(np.int32)

    def _choose_blend(
        self,
        train: sp.csr_matrix,
        rows: np.ndarray,
        cols: np.ndarray,
        held_users: np.ndarray,
        truth_users: np.ndarray,
        truth_items: np.ndarray,
    ) -> Blend:
        fixed_seq = self.hyper.get("sequence_weight")
        fixed_pop = self.hyper.get("popularity_weight")
        seq_grid = (hp_float(self.hyper, "sequence_weight", 0.0),) if fixed_seq is not None else SEQUENCE_WEIGHTS
        pop_grid = (hp_float(self.hyper, "popularity_weight", 0.0),) if fixed_pop is not None else POPULARITY_WEIGHTS
        default = Blend(*DEFAULT_BLEND)  # type: ignore[arg-type]
        if len(held_users) == 0:
            return Blend(
                default.tau,
                default.gamma,
                seq_grid[0] if fixed_seq is not None else default.sequence_weight,
                pop_grid[0] if fixed_pop is not None else default.popularity_weight,
                default.prior,
                default.prior_weight,
            )
        histories = train[held_users]
        starts = np.searchsorted(rows, held_users)
        ends = np.searchsorted(rows, held_users, side="right")
        recent = [cols[max(s, e - self.bptt) : e] for s, e in zip(starts, ends, strict=True)]
        raw = self.base_scores(histories, None)  # folded in, as test users are
        gain = _HeldOut(histories.tocoo(), np.searchsorted(held_users, truth_users), truth_items)
        cache: dict[str, tuple[Any, np.ndarray]] = {}  # the last base and sequence parts: memory stays bounded
        half = np.arange(len(held_users)) % 2 == 0

        def part(name: str, key: Any, build: Callable[[], np.ndarray]) -> np.ndarray:
            if name not in cache or cache[name][0] != key:
                cache.pop(name, None)
                cache[name] = (key, build())
            return cache[name][1]

        def score(blend: Blend) -> np.ndarray:
            base = part(
                "base",
                (blend.tau, blend.prior, blend.prior_weight),
                lambda: softmax_rows(
                    raw, blend.tau, self.scale, self.base_mask, self.priors[blend.prior], blend.prior_weight
                ),
            )
            seq = part("seq", blend.gamma, lambda: self._sequence_part(recent, blend.gamma).toarray())
            return gain(base, seq, self.pop, blend)

        def best(
            candidates: list[Blend], incumbent: tuple[np.ndarray, Blend] | None = None
        ) -> tuple[np.ndarray, Blend]:
            """A candidate replaces the best so far only if it is better on both halves of the validation users:
            with a few hundred users, a single mean would chase noise."""
            found = incumbent
            for candidate in candidates:
                gains = score(candidate)
                if found is None or (
                    gains[half].mean() > found[0][half].mean() and gains[~half].mean() > found[0][~half].mean()
                ):
                    found = (gains, candidate)
            assert found is not None
            return found

        def weights(b: Blend) -> list[Blend]:
            return [
                replace(b, sequence_weight=w_seq, popularity_weight=w_pop)
                for w_seq, w_pop in itertools.product(seq_grid, pop_grid)
                if w_seq + w_pop <= 0.95
            ]

        # Coordinate search from the base model alone: the prior, the weights, temperature and decay, the weights.
        found = best(
            [
                replace(
                    default, sequence_weight=seq_grid[0], popularity_weight=pop_grid[0], prior="none", prior_weight=0.0
                )
            ]
        )
        found = best([replace(found[1], prior=name, prior_weight=w) for name, w in PRIORS], found)
        found = best(weights(found[1]), found)
        found = best([replace(found[1], tau=t, gamma=g) for t, g in itertools.product(TAUS, GAMMAS)], found)
        found = best(weights(found[1]), found)
        self.validation_gain = round(float(found[0].mean()), 4)
        return found[1]

    # Scoring -------------------------------------------------------------------------------------------
    def _sequence_part(self, recent: list[np.ndarray], gamma: float) -> sp.csr_matrix:
        """Rows: the transition distribution from each user's recent items (all zero without transitions)."""
        n_items = len(self.item_ids)
        reach = max(1, min(self.bptt, int(np.ceil(np.log(0.01) / np.log(gamma))) if gamma < 1 else self.bptt))
        recent = [r[-reach:] for r in recent]  # older steps weigh under 1% of the newest one
        query = recency_query(recent, gamma, n_items)
        seq = (query @ self.transitions).tocsr()
        totals = np.asarray(seq.sum(axis=1)).ravel()
        return sp.csr_matrix(sp.diags(1.0 / np.where(totals > 0, totals, 1.0)) @ seq, dtype=np.float32)

    def _mix(self, base: np.ndarray, seq: sp.csr_matrix, blend: Blend) -> np.ndarray:
        """The blend, written into `base` (which already carries its weight)."""
        w_base, w_seq, w_pop = blend.base_weight, blend.sequence_weight, blend.popularity_weight
        out = base
        if w_pop:
            out += (np.float32(w_pop) * self.pop)[None, :]
        if w_seq and seq.nnz:
            coo = seq.tocoo()
            out[coo.row, coo.col] += np.float32(w_seq) * coo.data
        without = np.flatnonzero(np.diff(seq.indptr) == 0)
        if len(without):  # no transitions known: the other parts share its weight
            out[without] *= np.float32(1.0 / max(w_base + w_pop, 1e-9))
        return out

    def _blend_for(self, raw: np.ndarray, recent: list[np.ndarray], empty: np.ndarray) -> np.ndarray:
        blend = self.blend
        seq = self._sequence_part(recent, blend.gamma)
        base = softmax_rows(
            raw,
            blend.tau,
            self.scale,
            self.base_mask,
            self.priors[blend.prior],
            blend.prior_weight,
            True,
            blend.base_weight,
        )
        scores = self._mix(base, seq, blend)
        if empty.any():  # nothing known about the user: popularity alone
            scores[empty] = self.pop
        return scores

    def recent_of(self, rows: np.ndarray) -> list[np.ndarray]:
        return [self.recent_items[self.recent_ptr[r] : self.recent_ptr[r + 1]] for r in rows]

    def score_users(self, rows: np.ndarray) -> np.ndarray:
        histories = self.history[rows]
        return self._blend_for(self.base_scores(histories, rows), self.recent_of(rows), np.zeros(len(rows), bool))

    def score_histories(self, histories: sp.csr_matrix, recent: list[np.ndarray] | None = None) -> np.ndarray:
        histories = histories.tocsr()
        if recent is None:  # order unknown: every item of the history counts as recent
            recent = [
                histories.indices[histories.indptr[i] : histories.indptr[i + 1]] for i in range(histories.shape[0])
            ]
        empty = np.diff(histories.indptr) == 0
        return self._blend_for(self.base_scores(histories, None), recent, empty)

    def describe_hyperparameters(self) -> dict[str, str]:
        chosen = {
            "bptt": str(self.bptt),
            "sequence_weight": str(self.blend.sequence_weight),
            "popularity_weight": str(self.blend.popularity_weight),
            "popularity_prior": f"{self.blend.prior}:{self.blend.prior_weight}",
        }
        return {**chosen, **self.hyper}


class _HeldOut:
    """NDCG@10 per validation user of their held-out items, recommending among the items each had not seen
    (as metrics.py scores test users), for a blend of precomputed parts; buffers are reused across the search."""

    def __init__(self, seen: sp.coo_matrix, truth_rows: np.ndarray, truth_items: np.ndarray) -> None:
        self.seen = seen
        self.n_rows = seen.shape[0]
        self.n_items = seen.shape[1]
        self.truth_codes = np.unique(truth_rows.astype(np.int64) * self.n_items + truth_items)
        per_row = np.bincount((self.truth_codes // self.n_items).astype(int), minlength=self.n_rows)
        self.ideal = np.array([_DISCOUNT[: min(k, 10)].sum() for k in per_row])
        self.buffer: np.ndarray | None = None
        self.scratch: np.ndarray | None = None

    def __call__(self, base: np.ndarray, seq: np.ndarray, pop: np.ndarray, blend: Blend) -> np.ndarray:
        if self.buffer is None or self.scratch is None:
            self.buffer, self.scratch = np.empty_like(base), np.empty_like(base)
        buf, tmp = self.buffer, self.scratch
        # Rows without transitions are all zero in `seq`; a per-row scale does not change ranks, so the
        # serving-time renormalisation of those rows is not needed here.
        np.multiply(base, np.float32(blend.base_weight), out=buf)
        if blend.sequence_weight:
            np.multiply(seq, np.float32(blend.sequence_weight), out=tmp)
            buf += tmp
        if blend.popularity_weight:
            buf += (np.float32(blend.popularity_weight) * pop)[None, :]
        buf[self.seen.row, self.seen.col] = -np.inf
        k = min(10, self.n_items)
        top, _ = top_k(buf, k, in_place=True)
        codes = np.arange(self.n_rows, dtype=np.int64)[:, None] * self.n_items + top
        relevant = np.isin(codes, self.truth_codes)
        dcg = (relevant * _DISCOUNT[:k]).sum(axis=1)
        return np.divide(dcg, self.ideal, out=np.zeros_like(dcg), where=self.ideal > 0)


_DISCOUNT = 1.0 / np.log2(np.arange(2, 12))


def _top_per_row(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """The `keep` largest entries of each row."""
    lengths = np.diff(matrix.indptr)
    if not len(lengths) or lengths.max(initial=0) <= keep:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    order = np.lexsort((-matrix.data, rows))
    rank = np.arange(len(order)) - matrix.indptr[rows[order]]
    chosen = order[rank < keep]
    return sp.csr_matrix((matrix.data[chosen], (rows[chosen], matrix.indices[chosen])), shape=matrix.shape)
