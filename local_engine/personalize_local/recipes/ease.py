"""aws-user-personalization-v2: EASE (Steck 2019), a closed-form item-item linear autoencoder.

EASE needs an items x items inverse, so it is fitted over the `max_items` most popular items (default 3000,
which keeps 1M-interaction training near 10 s on 2 cores). Items outside that set are never recommended except
as new items through exploration, so coverage is lower than with aws-user-personalization. Like that recipe
it blends in the exposure-normalised popularity prior (`popularity_weight`, default 0.3, tuned on the seeded
generated data).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Model, TrainingData, hp_float, hp_int


class EASE(Model):
    recipe = "aws-user-personalization-v2"

    def _fit(self, data: TrainingData, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray) -> None:
        max_items = hp_int(self.hyper, "max_items", 3000)
        lam = hp_float(self.hyper, "l2_regularization", 50.0)
        order = np.argsort(-self.popularity, kind="stable")
        self.active = np.sort(order[: min(max_items, int((self.popularity > 0).sum()))])
        x = self.history[:, self.active].astype(np.float64)
        x.data = np.log1p(x.data)
        gram = (x.T @ x).toarray()
        gram[np.diag_indices_from(gram)] += lam
        inverse = np.linalg.inv(gram)
        weights = inverse / (-np.diag(inverse))
        weights[np.diag_indices_from(weights)] = 0.0
        self.weights = weights.astype(np.float32)
        self.popularity_weight = hp_float(self.hyper, "popularity_weight", 0.3)
        self.prior = self.exposure_prior()

    def score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        x = histories.tocsr()[:, self.active].astype(np.float32)
        x.data = np.log1p(x.data)
        scores = np.full((histories.shape[0], len(self.item_ids)), -1.0, dtype=np.float32)
        scores[:, self.active] = np.asarray(x @ self.weights)
        if self.popularity_weight:
            scores[:, self.active] += self.popularity_weight * self.prior[self.active]
        empty = np.diff(x.indptr) == 0
        if empty.any():
            scores[empty] = self.popular_scores(int(empty.sum()))
        return scores

    def score_related(self, item_rows: np.ndarray) -> np.ndarray:
        position = np.full(len(self.item_ids), -1)
        position[self.active] = np.arange(len(self.active))
        scores = np.full((len(item_rows), len(self.item_ids)), -1.0, dtype=np.float32)
        for i, item in enumerate(item_rows):
            if position[item] >= 0:
                scores[i, self.active] = self.weights[position[item]]
        return scores
