"""Serving: turn recipe scores into ranked item ids, applying exclusions, filters and exploration."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .errors import InvalidInput
from .filters import CompiledFilter
from .recipes import Model

NEG = np.float32(-np.inf)


BLOCK = 64


def top_k(
    scores: np.ndarray,
    k: int,
    exclude: sp.csr_matrix | None = None,
    allowed: np.ndarray | None = None,
    in_place: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-k (descending) with optional excluded (sparse) and allowed (bool) masks.

    Excluded / disallowed entries get -inf (callers drop non-finite results). For wide rows this uses block
    maxima: the top-k entries of a row always lie in the k blocks with the largest maxima, so an exact top-k
    needs a full pass only for a cheap max-reduction, not for a selection (3-5x faster than argpartition).
    """
    if not (in_place and scores.dtype == np.float32):
        scores = np.array(scores, dtype=np.float32, copy=True)
    if exclude is not None and exclude.nnz:
        coo = exclude.tocoo()
        scores[coo.row, coo.col] = NEG
    if allowed is not None:
        np.putmask(scores, ~allowed, NEG)
    rows, n = scores.shape
    k = min(k, n)
    if k <= 0 or rows == 0:
        return np.zeros((rows, 0), dtype=int), np.zeros((rows, 0), dtype=np.float32)
    if n < 16 * BLOCK or k * BLOCK * 4 > n:
        candidates = np.broadcast_to(np.arange(n), (rows, n))
        values = scores
    else:
        block_max = np.maximum.reduceat(scores, np.arange(0, n, BLOCK), axis=1)  # last block may be short
        best_blocks = np.argpartition(-block_max, k - 1, axis=1)[:, :k]
        candidates = (best_blocks[:, :, None] * BLOCK + np.arange(BLOCK)).reshape(rows, k * BLOCK)
        outside = candidates >= n
        values = scores[np.arange(rows)[:, None], np.minimum(candidates, n - 1)]
        values[outside] = NEG
    part = np.argpartition(-values, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(values, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    idx = np.take_along_axis(np.take_along_axis(candidates, part, axis=1), order, axis=1)
    vals = np.take_along_axis(part_scores, order, axis=1)
    return idx, vals


@dataclass(frozen=True)
class Exploration:
    weight: float = 0.3
    age_cutoff_days: float = 30.0

    @classmethod
    def from_config(cls, config: dict[str, str] | None) -> Exploration:
        config = config or {}
        try:
            return cls(
                float(config.get("explorationWeight", 0.3)), float(config.get("explorationItemAgeCutOff", 30))
            )
        except ValueError as exc:
            raise InvalidInput(f"Invalid itemExplorationConfig: {config}") from exc


EXPLORING_RECIPES = {"aws-user-personalization", "aws-user-personalization-v2"}


class Predictor:
    """Wraps a trained model for real-time and batch requests."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def user_rows(self, user_ids: list[str]) -> np.ndarray:
        return np.array([self.model.user_index.get(u, -1) for u in user_ids], dtype=int)

    def user_scores(self, rows: np.ndarray) -> np.ndarray:
        model = self.model
        known = rows >= 0
        if known.all():
            return np.asarray(model.score_users(rows), dtype=np.float32)
        scores = np.empty((len(rows), len(model.item_ids)), dtype=np.float32)
        if known.any():
            scores[known] = model.score_users(rows[known])
        if (~known).any():
            scores[~known] = model.popular_scores(int((~known).sum()))
        return scores

    def seen(self, rows: np.ndarray) -> sp.csr_matrix:
        safe = np.where(rows >= 0, rows, 0)
        seen = self.model.history[safe].tocsr()
        seen = sp.csr_matrix(sp.diags((rows >= 0).astype(np.float32)) @ seen)
        seen.eliminate_zeros()  # unknown users' rows were zeroed: they must not exclude anything
        return seen

    def recommend_users(
        self,
        user_ids: list[str],
        n: int,
        flt: CompiledFilter | None = None,
        filter_values: dict[str, str] | None = None,
        exploration: Exploration | None = None,
        recent: dict[str, list[str]] | None = None,
    ) -> list[tuple[list[str], list[float]]]:
        """Top-n items per user. `recent` maps users to items they interacted with since training (PutEvents):
        those users are re-scored from their extended history (fold-in, no retraining)."""
        if not self.model.supports_users:
            raise InvalidInput(f"Recipe {self.model.recipe} needs an itemId, not a userId")
        rows = self.user_rows(user_ids)
        scores = self.user_scores(rows)
        seen = self.seen(rows)
        fresh = [j for j, user in enumerate(user_ids) if recent and recent.get(user)]
        if fresh and recent:
            extended = self.extended_histories(rows[fresh], [recent[user_ids[j]] for j in fresh])
            scores[fresh] = self.model.score_histories(extended)
            extra = sp.lil_matrix(seen.shape, dtype=np.float32)
            for j, history in zip(fresh, extended, strict=True):
                extra[j, history.indices] = 1.0
            seen = (seen + extra.tocsr()).tocsr()
        allowed = flt.allowed(self.model, rows, filter_values or {}) if flt else None
        idx, vals = top_k(scores, n, exclude=seen, allowed=allowed, in_place=True)
        results = [self._pack(i, v) for i, v in zip(idx, vals, strict=True)]
        if exploration and exploration.weight > 0 and self.model.recipe in EXPLORING_RECIPES:
            results = [
                self._explore(
                    user_ids[j], res, n, exploration, allowed[j] if allowed is not None else None, seen[j].indices
                )
                for j, res in enumerate(results)
            ]
        return results

    def extended_histories(self, rows: np.ndarray, new_items: list[list[str]]) -> sp.csr_matrix:
        """Training history (for known users) plus new events at full weight; unknown items are skipped."""
        model = self.model
        lines = []
        for row, items in zip(rows, new_items, strict=True):
            line = model.history[row].tolil() if row >= 0 else sp.lil_matrix((1, len(model.item_ids)))
            for item in items:
                col = model.item_index.get(item)
                if col is not None:
                    line[0, col] = max(float(line[0, col]), 1.0)
            lines.append(line.tocsr())
        return sp.csr_matrix(sp.vstack(lines, format="csr"), dtype=np.float32)

    def recommend_items(
        self,
        item_ids: list[str],
        n: int,
        flt: CompiledFilter | None = None,
        filter_values: dict[str, str] | None = None,
        user_id: str | None = None,
    ) -> list[tuple[list[str], list[float]]]:
        model = self.model
        known = [model.item_index.get(i, -1) for i in item_ids]
        if any(k < 0 for k in known):
            missing = [i for i, k in zip(item_ids, known, strict=True) if k < 0]
            raise InvalidInput(f"Item(s) not found in the training data: {missing[:5]}")
        rows = np.array(known, dtype=int)
        scores = model.score_related(rows)
        exclude = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (np.arange(len(rows)), rows)), shape=scores.shape
        )
        user_rows = self.user_rows([user_id or ""] * len(rows))
        allowed = flt.allowed(model, user_rows, filter_values or {}) if flt else None
        idx, vals = top_k(scores, n, exclude=exclude, allowed=allowed)
        return [self._pack(i, v) for i, v in zip(idx, vals, strict=True)]

    def rank(
        self,
        user_id: str,
        items: list[str],
        flt: CompiledFilter | None = None,
        filter_values: dict[str, str] | None = None,
    ) -> list[tuple[str, float | None]]:
        model = self.model
        rows = self.user_rows([user_id])
        scores = self.user_scores(rows)[0]
        allowed = flt.allowed(model, rows, filter_values or {})[0] if flt else None
        known = [(item, model.item_index.get(item, -1)) for item in items]
        keep = [(item, i) for item, i in known if i < 0 or allowed is None or allowed[i]]
        scored = [(item, float(scores[i]) if i >= 0 else None) for item, i in keep]
        ranked = sorted(scored, key=lambda p: np.inf if p[1] is None else -p[1])
        values = np.array([s for _, s in ranked if s is not None], dtype=np.float64)
        probs = np.exp(values - values.max()) if len(values) else values
        probs = probs / probs.sum() if len(values) else probs
        out: list[tuple[str, float | None]] = []
        it = iter(probs.tolist())
        for item, s in ranked:  # unknown items go last without a score, as Personalize does
            out.append((item, round(next(it), 7) if s is not None else None))
        return out

    def segment(self, queries: list[np.ndarray], n: int) -> list[list[str]]:
        """For each query (array of item rows), the n users with highest mean affinity."""
        model = self.model
        factors = getattr(model, "item_factors", None)
        if factors is None:
            raise InvalidInput(f"Recipe {model.recipe} does not support user segments")
        vectors = np.stack(
            [
                factors[q].mean(axis=0) if len(q) else np.zeros(factors.shape[1], dtype=np.float32)
                for q in queries
            ]
        )
        affinity = vectors @ model.user_factors.T  # type: ignore[attr-defined]
        idx, _ = top_k(affinity, n)
        return [[str(model.user_ids[i]) for i in row] for row in idx]

    def _pack(self, idx: np.ndarray, vals: np.ndarray) -> tuple[list[str], list[float]]:
        finite = np.isfinite(vals)
        items: list[str] = self.model.item_ids[idx[finite]].tolist()
        return items, np.round(vals[finite].astype(np.float64), 7).tolist()

    def _explore(
        self,
        user_id: str,
        result: tuple[list[str], list[float]],
        n: int,
        exploration: Exploration,
        allowed: np.ndarray | None,
        seen: np.ndarray,
    ) -> tuple[list[str], list[float]]:
        """Swap a share of slots (weight/3 of the list) for new or never-interacted items.

        The choice is seeded by the user id so a user sees stable results between calls; younger items are
        preferred, mirroring explorationItemAgeCutOff.
        """
        model = self.model
        items, scores = result
        slots = round(n * exploration.weight / 3)
        fresh = (model.item_age_days <= exploration.age_cutoff_days) | ~model.has_interactions
        if allowed is not None:
            fresh &= allowed
        fresh[seen] = False  # never "explore" something the user already interacted with
        candidates = np.flatnonzero(fresh)
        chosen_set = set(items)
        candidates = np.array([c for c in candidates if str(model.item_ids[c]) not in chosen_set], dtype=int)
        if slots <= 0 or len(candidates) == 0:
            return result
        seed = int.from_bytes(hashlib.sha256(user_id.encode()).digest()[:8], "little")
        rng = np.random.default_rng(seed)
        prefer = 1.0 / (1.0 + model.item_age_days[candidates])
        picks = rng.choice(
            candidates, size=min(slots, len(candidates)), replace=False, p=prefer / prefer.sum()
        )
        items, scores = list(items), list(scores)
        floor = min(scores) if scores else 0.0
        for j, pick in enumerate(picks):
            pos = min(len(items), 2 + j * max(1, n // max(1, slots)))
            items.insert(pos, str(model.item_ids[pick]))
            scores.insert(pos, floor)
        return items[:n], scores[:n]
