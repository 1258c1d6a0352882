"""Matrix factorisation recipes built on implicit's ALS: user-personalization, personalized-ranking and
item-affinity (user segmentation).

Held-out and brand-new users are folded in (their factors solved against fixed item factors) instead of
retraining, which is how metrics are computed on users the model never saw.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from .base import Model, TrainingData, hp_float, hp_int
from .sequence import SequenceBlend

DEFAULT_THREADS = 2


class ALSModel(Model):
    recipe = "aws-user-personalization"

    def _fit(self, data: TrainingData, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray) -> None:
        self._fit_als(self.history)
        # ALS ranks well within a taste but under-weights how much more often popular items are consumed.
        self.popularity_weight = hp_float(self.hyper, "popularity_weight", 1.0)
        self.prior = self.exposure_prior()

    def _fit_als(self, matrix: sp.csr_matrix) -> None:
        # Defaults measured across the benchmark's data shapes (`make bench-engine`): 16 factors with strong
        # regularisation fold new users in well at every size tried; 32 / 3 did better on 100k movie ratings
        # (1.70x vs 1.53x popularity) but far worse at 1M LMS events (1.59x vs 2.32x).
        factors = hp_int(self.hyper, "hidden_dimension", 16)
        self.regularization = hp_float(self.hyper, "regularization", 10.0)
        self.alpha = hp_float(self.hyper, "alpha", 5.0)
        with threadpool_limits(1, "blas"):
            als = AlternatingLeastSquares(
                factors=factors,
                regularization=self.regularization,
                alpha=1.0,
                iterations=hp_int(self.hyper, "iterations", 12),
                random_state=self.seed,
                num_threads=hp_int(self.hyper, "num_threads", DEFAULT_THREADS),
                calculate_training_loss=False,
            )
            # implicit parallelises itself; a second BLAS thread pool underneath only adds contention.
            als.fit(self.confidence(matrix), show_progress=False)
        self.user_factors = np.asarray(als.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(als.item_factors, dtype=np.float32)
        self._gram = (self.item_factors.T @ self.item_factors).astype(np.float64)

    def confidence(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        """Confidence 1 + alpha*log(1+w): log damping keeps heavy users/items from dominating, and staying
        >= 1 keeps implicit's (c - 1) terms non-negative."""
        out = matrix.tocsr().astype(np.float32, copy=True)
        out.data = (1.0 + self.alpha * np.log1p(out.data)).astype(np.float32)
        return out

    def score_users(self, rows: np.ndarray) -> np.ndarray:
        return self._with_prior(self.user_factors[rows] @ self.item_factors.T)

    def _with_prior(self, scores: np.ndarray) -> np.ndarray:
        if self.popularity_weight:
            scores += self.popularity_weight * self.prior
        return scores

    def fold_in(self, histories: sp.csr_matrix) -> np.ndarray:
        """Solve each user's factors against fixed item factors (one ALS half-step)."""
        k = self.item_factors.shape[1]
        out = np.zeros((histories.shape[0], k), dtype=np.float32)
        matrix = self.confidence(histories)
        reg = self.regularization * np.eye(k)
        for i in range(matrix.shape[0]):
            start, end = matrix.indptr[i], matrix.indptr[i + 1]
            if start == end:
                continue
            idx = matrix.indices[start:end]
            conf = matrix.data[start:end].astype(np.float64)
            v = self.item_factors[idx].astype(np.float64)
            a = self._gram + (v.T * (conf - 1.0)) @ v + reg
            b = (v.T * conf).sum(axis=1)
            out[i] = np.linalg.solve(a, b)
        return out

    def score_histories(self, histories: sp.csr_matrix, recent: list[np.ndarray] | None = None) -> np.ndarray:
        factors = self.fold_in(histories)
        scores = self._with_prior(factors @ self.item_factors.T)
        empty = np.diff(histories.tocsr().indptr) == 0
        if empty.any():  # cold users: fall back to popularity
            scores[empty] = self.popular_scores(int(empty.sum()))
        return scores

    def score_related(self, item_rows: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(self.item_factors, axis=1) + 1e-9
        unit = self.item_factors / norms[:, None]
        return unit[item_rows] @ unit.T

    def score_segment(self, item_vectors: np.ndarray) -> np.ndarray:
        """Affinity of every known user for each given item-factor vector (rows: queries, cols: users)."""
        return item_vectors @ self.user_factors.T


class UserPersonalization(SequenceBlend, ALSModel):
    """ALS as the base of the sequence-aware blend (sequence.py)."""

    recipe = "aws-user-personalization"

    def _fit_base(self, data: TrainingData, matrix: sp.csr_matrix) -> None:
        self._fit_als(matrix)

    def base_scores(self, histories: sp.csr_matrix, rows: np.ndarray | None) -> np.ndarray:
        factors = self.user_factors[rows] if rows is not None else self.fold_in(histories)
        return np.asarray(factors @ self.item_factors.T, dtype=np.float32)

    def _add_users(self, rows: np.ndarray) -> None:
        self.user_factors[rows] = self.fold_in(self.history[rows])


class PersonalizedRanking(UserPersonalization):
    """The same next-item distribution, renormalised over the caller's input list (predict.py)."""

    recipe = "aws-personalized-ranking"


class ItemAffinity(ALSModel):
    recipe = "aws-item-affinity"


class ItemAttributeAffinity(ALSModel):
    recipe = "aws-item-attribute-affinity"
