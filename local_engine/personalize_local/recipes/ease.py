"""aws-user-personalization-v2: EASE (Steck 2019), a closed-form item-item linear autoencoder, as the base of the
sequence-aware blend (sequence.py).

EASE needs an items x items inverse, so it is fitted over the `max_items` most popular items (default 3000,
which keeps 1M-interaction training near 10 s on 2 cores). Like Personalize's v2, which scores a subset of the
catalogue, items outside that set get no share of the base distribution; the transitions and the popularity part
can still reach them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import TrainingData, hp_float, hp_int
from .sequence import SequenceBlend


class EASE(SequenceBlend):
    recipe = "aws-user-personalization-v2"

    def _fit_base(self, data: TrainingData, matrix: sp.csr_matrix) -> None:
        max_items = hp_int(self.hyper, "max_items", 3000)
        lam = hp_float(self.hyper, "l2_regularization", 50.0)
        counts = np.asarray((matrix > 0).sum(axis=0)).ravel()
        order = np.argsort(-counts, kind="stable")
        self.active = np.sort(order[: min(max_items, int((counts > 0).sum()))])
        x = matrix[:, self.active].astype(np.float64)
        x.data = np.log1p(x.data)
        gram = (x.T @ x).toarray()
        gram[np.diag_indices_from(gram)] += lam
        inverse = np.linalg.inv(gram)
        weights = inverse / (-np.diag(inverse))
        weights[np.diag_indices_from(weights)] = 0.0
        self.weights = weights.astype(np.float32)
        self.base_mask = np.zeros(len(self.item_ids), dtype=bool)
        self.base_mask[self.active] = True

    def base_scores(self, histories: sp.csr_matrix, rows: np.ndarray | None) -> np.ndarray:
        x = histories.tocsr()[:, self.active].astype(np.float32)
        x.data = np.log1p(x.data)
        scores = np.zeros((histories.shape[0], len(self.item_ids)), dtype=np.float32)
        scores[:, self.active] = np.asarray(x @ self.weights)
        return scores

    def score_related(self, item_rows: np.ndarray) -> np.ndarray:
        position = np.full(len(self.item_ids), -1)
        position[self.active] = np.arange(len(self.active))
        scores = np.full((len(item_rows), len(self.item_ids)), -1.0, dtype=np.float32)
        for i, item in enumerate(item_rows):
            if position[item] >= 0:
                scores[i, self.active] = self.weights[position[item]]
        return scores


class PersonalizedRankingV2(EASE):
    """The EASE next-item distribution, renormalised over the caller's input list (predict.py)."""

    recipe = "aws-personalized-ranking-v2"
