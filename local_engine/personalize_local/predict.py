"""Serving: turn recipe scores into ranked item ids, applying exclusions, filters and exploration."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .errors import InvalidInput
from .filters import CompiledFilter
from .ranking import top_k
from .recipes import Model


@dataclass(frozen=True)
class Exploration:
    """itemExplorationConfig: explorationWeight 0 recommends by relevance only; 1 gives new and never-interacted
    items (younger than explorationItemAgeCutOff days) the most room."""

    weight: float = 0.3
    age_cutoff_days: float = 30.0

    @classmethod
    def from_config(cls, config: dict[str, str] | None) -> Exploration:
        config = config or {}
        try:
            return cls(float(config.get("explorationWeight", 0.3)), float(config.get("explorationItemAgeCutOff", 30)))
        except ValueError as exc:
            raise InvalidInput(f"Invalid itemExplorationConfig: {config}") from exc


@dataclass(frozen=True)
class Promotion:
    """A GetRecommendations promotion: `percent` of the list comes from the items its filter lets through."""

    name: str
    percent: int
    flt: CompiledFilter | None = None
    filter_values: dict[str, str] = field(default_factory=dict)

    def slots(self, n: int) -> int:
        return min(n, max(1, round(n * self.percent / 100)))


EXPLORING_RECIPES = {"aws-user-personalization", "aws-user-personalization-v2"}
# Personalize documents promotions for all domain use cases and these custom recipes.
PROMOTING_RECIPES = {"aws-user-personalization", "aws-user-personalization-v2", "aws-similar-items"}


class Ranked(NamedTuple):
    items: list[str]
    scores: list[float]
    promoted: frozenset[str] = frozenset()  # items placed by the request's promotion


class Predictor:
    """Wraps a trained model for real-time and batch requests.

    Scores are reported only where Personalize reports them: recipes whose scores are a distribution over the
    catalogue (user-personalization, -v2, personalized-ranking). Callers drop them for domain recommenders.
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.reports_scores = bool(getattr(model, "scores_are_probabilities", False))

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
        if (~known).any():  # users the model never saw: what the recipe gives an empty history
            scores[~known] = model.score_histories(sp.csr_matrix((int((~known).sum()), len(model.item_ids))))
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
        promotion: Promotion | None = None,
    ) -> list[Ranked]:
        """Top-n items per user. `recent` maps users to items they interacted with since training (PutEvents):
        those users are re-scored from their extended history (fold-in, no retraining)."""
        model = self.model
        if not model.supports_users:
            raise InvalidInput(f"Recipe {model.recipe} needs an itemId, not a userId")
        rows = self.user_rows(user_ids)
        scores = self.user_scores(rows)
        seen = self.seen(rows)
        fresh = [j for j, user in enumerate(user_ids) if recent and recent.get(user)]
        if fresh and recent:
            histories, sequences = self.extended_histories(rows[fresh], [recent[user_ids[j]] for j in fresh])
            scores[fresh] = model.score_histories(histories, sequences)
            extra = sp.lil_matrix(seen.shape, dtype=np.float32)
            for j, history in zip(fresh, histories, strict=True):
                extra[j, history.indices] = 1.0
            seen = (seen + extra.tocsr()).tocsr()
        allowed = flt.allowed(model, rows, filter_values or {}) if flt else None
        if exploration and exploration.weight > 0 and model.recipe in EXPLORING_RECIPES:
            # Explored items join the list with their own (low) scores, so the list stays in score order.
            slots = round(n * exploration.weight / 3)
            explored = [
                self._explore(user_ids[j], slots, exploration, allowed[j] if allowed is not None else None, seen[j])
                for j in range(len(rows))
            ]
        else:
            explored = [np.zeros(0, dtype=int)] * len(rows)
        if promotion is not None:
            return [
                self._promote(
                    user_ids[j],
                    scores[j],
                    seen[j],
                    allowed[j] if allowed is not None else None,
                    n,
                    promotion,
                    rows[j : j + 1],
                    explored[j],
                )
                for j in range(len(rows))
            ]
        idx, vals = top_k(scores, n, exclude=seen, allowed=allowed, in_place=True)  # explored items stay intact
        return [
            self._with_explored(i, v, e, scores[j], n) if len(e) else self._pack(i, v)
            for j, (i, v, e) in enumerate(zip(idx, vals, explored, strict=True))
        ]

    def extended_histories(
        self, rows: np.ndarray, new_items: list[list[str]]
    ) -> tuple[sp.csr_matrix, list[np.ndarray]]:
        """Training history (for known users) plus new events at full weight, and the items in time order;
        unknown items are skipped."""
        model = self.model
        lines = []
        sequences = []
        recent_of = getattr(model, "recent_of", None)
        for row, items in zip(rows, new_items, strict=True):
            line = model.history[row].tolil() if row >= 0 else sp.lil_matrix((1, len(model.item_ids)))
            cols = [c for c in (model.item_index.get(item) for item in items) if c is not None]
            for col in cols:
                line[0, col] = max(float(line[0, col]), 1.0)
            lines.append(line.tocsr())
            before = recent_of(np.array([row]))[0] if (recent_of is not None and row >= 0) else np.zeros(0, int)
            sequences.append(np.concatenate([before, np.array(cols, dtype=int)]).astype(int))
        return sp.csr_matrix(sp.vstack(lines, format="csr"), dtype=np.float32), sequences

    def recommend_items(
        self,
        item_ids: list[str],
        n: int,
        flt: CompiledFilter | None = None,
        filter_values: dict[str, str] | None = None,
        user_id: str | None = None,
        promotion: Promotion | None = None,
    ) -> list[Ranked]:
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
        if promotion is not None:
            return [
                self._promote(
                    item_ids[j],
                    scores[j],
                    exclude[j],
                    allowed[j] if allowed is not None else None,
                    n,
                    promotion,
                    user_rows[j : j + 1],
                    np.zeros(0, dtype=int),
                )
                for j in range(len(rows))
            ]
        idx, vals = top_k(scores, n, exclude=exclude, allowed=allowed)
        return [self._pack(i, v) for i, v in zip(idx, vals, strict=True)]

    def rank(
        self,
        user_id: str,
        items: list[str],
        flt: CompiledFilter | None = None,
        filter_values: dict[str, str] | None = None,
    ) -> list[tuple[str, float]]:
        """GetPersonalizedRanking: the input items by the user's next-item distribution, renormalised over the
        input list (scores sum to 1); an item the model was not trained on scores 0 and goes last."""
        model = self.model
        rows = self.user_rows([user_id])
        scores = self.user_scores(rows)[0].astype(np.float64)
        allowed = flt.allowed(model, rows, filter_values or {})[0] if flt else None
        known = [(item, model.item_index.get(item, -1)) for item in items]
        keep = [(item, i) for item, i in known if i < 0 or allowed is None or allowed[i]]
        if not self.reports_scores:  # raw recipe scores: turn them into a distribution over the input list
            values = np.array([scores[i] for _, i in keep if i >= 0])
            scores[[i for _, i in keep if i >= 0]] = np.exp(values - values.max(initial=0.0))
        total = sum(scores[i] for _, i in keep if i >= 0)
        scored = [(item, float(scores[i]) / total if i >= 0 and total > 0 else 0.0) for item, i in keep]
        ranked = sorted(scored, key=lambda pair: -pair[1])
        return [(item, _significant(score)) for item, score in ranked]

    def segment(self, queries: list[np.ndarray], n: int) -> list[list[str]]:
        """For each query (array of item rows), the n users with highest mean affinity."""
        model = self.model
        factors = getattr(model, "item_factors", None)
        if factors is None:
            raise InvalidInput(f"Recipe {model.recipe} does not support user segments")
        vectors = np.stack(
            [factors[q].mean(axis=0) if len(q) else np.zeros(factors.shape[1], dtype=np.float32) for q in queries]
        )
        affinity = vectors @ model.user_factors.T  # type: ignore[attr-defined]
        idx, _ = top_k(affinity, n)
        return [[str(model.user_ids[i]) for i in row] for row in idx]

    def _pack(self, idx: np.ndarray, vals: np.ndarray) -> Ranked:
        finite = np.isfinite(vals)
        items: list[str] = self.model.item_ids[idx[finite]].tolist()
        return Ranked(items, [_significant(v) for v in vals[finite].tolist()])

    def _with_explored(
        self, idx: np.ndarray, vals: np.ndarray, explored: np.ndarray, row: np.ndarray, n: int
    ) -> Ranked:
        """The top (n - explored) items plus the explored ones, all in score order."""
        taken = set(explored.tolist())
        regular = [(i, v) for i, v in zip(idx, vals, strict=True) if np.isfinite(v) and i not in taken]
        merged = regular[: n - len(explored)] + [(int(i), float(row[i])) for i in explored]
        merged.sort(key=lambda pair: -pair[1])
        return self._pack(np.array([i for i, _ in merged], dtype=int), np.array([v for _, v in merged]))

    def _explore(
        self, user_id: str, slots: int, exploration: Exploration, allowed: np.ndarray | None, seen: sp.csr_matrix
    ) -> np.ndarray:
        """Up to `slots` new or never-interacted items the user has not seen, younger ones preferred.

        The choice is seeded by the user id so a user sees stable results between calls.
        """
        model = self.model
        fresh = (model.item_age_days <= exploration.age_cutoff_days) | ~model.has_interactions
        if allowed is not None:
            fresh &= allowed
        fresh[seen.indices] = False  # never "explore" something the user already interacted with
        candidates = np.flatnonzero(fresh)
        if slots <= 0 or len(candidates) == 0:
            return np.zeros(0, dtype=int)
        rng = np.random.default_rng(_seed(user_id))
        prefer = 1.0 / (1.0 + model.item_age_days[candidates])
        return rng.choice(candidates, size=min(slots, len(candidates)), replace=False, p=prefer / prefer.sum())

    def _promote(
        self,
        key: str,
        row: np.ndarray,
        seen: sp.csr_matrix,
        allowed: np.ndarray | None,
        n: int,
        promotion: Promotion,
        user_rows: np.ndarray,
        explored: np.ndarray,
    ) -> Ranked:
        """`promotion.slots(n)` items from the promotion filter (sorted among themselves) at seeded random
        positions; the request filter applies only to the other items, as Personalize documents."""
        model = self.model
        scores = row[None, :].astype(np.float32)
        promo_allowed = promotion.flt.allowed(model, user_rows, promotion.filter_values) if promotion.flt else None
        p_idx, p_vals = top_k(scores, promotion.slots(n), exclude=seen, allowed=promo_allowed)
        promoted = [(int(i), float(v)) for i, v in zip(p_idx[0], p_vals[0], strict=True) if np.isfinite(v)]
        exclude = sp.csr_matrix(
            (
                np.ones(len(seen.indices) + len(promoted)),
                (
                    np.zeros(len(seen.indices) + len(promoted), dtype=int),
                    np.concatenate([seen.indices, [i for i, _ in promoted]]).astype(int),
                ),
            ),
            shape=scores.shape,
        )
        r_idx, r_vals = top_k(scores, n - len(promoted), exclude=exclude, allowed=allowed)
        regular_items, regular_scores, _ = self._pack(r_idx[0], r_vals[0])
        if len(explored):
            regular_items, regular_scores, _ = self._with_explored(
                r_idx[0], r_vals[0], explored[~np.isin(explored, [i for i, _ in promoted])], row, n - len(promoted)
            )
        total = len(regular_items) + len(promoted)
        rng = np.random.default_rng(_seed(f"{key}/{promotion.name}"))
        positions = set(np.sort(rng.choice(total, size=len(promoted), replace=False)).tolist()) if total else set()
        items: list[str] = []
        values: list[float] = []
        promo_iter = iter(promoted)
        regular_iter = iter(zip(regular_items, regular_scores, strict=True))
        for pos in range(total):
            if pos in positions:
                i, v = next(promo_iter)
                items.append(str(model.item_ids[i]))
                values.append(_significant(v))
            else:
                item, v = next(regular_iter)
                items.append(item)
                values.append(v)
        return Ranked(items, values, frozenset(str(model.item_ids[i]) for i, _ in promoted))


def _significant(value: float) -> float:
    """7 significant digits: scores over a large catalogue are small, and rounding to places would zero them."""
    return float(f"{value:.7g}")


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
