"""aws-sims and aws-similar-items: item-to-item co-occurrence with a popularity discount.

score(i, j) = cooc(i, j) / (pop(i)^(1-d) * pop(j)^d), d = popularity_discount_factor. With d=0.5 this is
cosine similarity; larger d pushes down blockbusters that co-occur with everything. aws-similar-items adds
a cosine similarity over the item's categorical metadata (genres, etc.) so cold items still get neighbours.
Only each user's `max_history` most recent items are paired, which bounds the quadratic co-occurrence cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .base import Model, TrainingData, hp_float, hp_int, recency_query

# Weight of a history item per step back from the newest one when a user's order is known (evaluation, PutEvents):
# SIMS answers "related to what you saw lately". Measured across the benchmark shapes (NDCG@10 vs popularity, 2
# seeds): 0.7 gave movies 1.42x / e-commerce 2.56x / LMS 1.70x, 0.97 gave 1.99x / 2.37x / 1.92x, 1.0 (no order)
# 1.83x / 2.36x / 1.92x.
RECENCY_DECAY = 0.97


class Sims(Model):
    recipe = "aws-sims"
    supports_items = True

    def _fit(self, data: TrainingData, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray) -> None:
        max_history = hp_int(self.hyper, "max_history", 100)
        discount = hp_float(self.hyper, "popularity_discount_factor", 0.5)
        min_cooc = hp_int(self.hyper, "min_cointeraction_count", 1)
        binary = self._recent_binary(rows, cols, ts, max_history)
        cooc = (binary.T @ binary).tocsr().astype(np.float32)
        cooc.setdiag(0)
        cooc.eliminate_zeros()
        if min_cooc > 1:
            cooc.data[cooc.data < min_cooc] = 0
            cooc.eliminate_zeros()
        pop = np.asarray(binary.sum(axis=0)).ravel().astype(np.float32) + 1.0
        left = sp.diags(np.power(pop, -(1.0 - discount)))
        right = sp.diags(np.power(pop, -discount))
        self.similarity = (left @ cooc @ right).tocsr().astype(np.float32)
        self.genre = self._genre_matrix(data) if self.genre_weight() > 0 else None

    def genre_weight(self) -> float:
        return 0.0

    def _recent_binary(self, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray, keep: int) -> sp.csr_matrix:
        frame = pd.DataFrame({"u": rows, "i": cols, "t": ts}).sort_values("t", ascending=False)
        frame = frame.drop_duplicates(["u", "i"])
        frame = frame[frame.groupby("u").cumcount() < keep]
        return sp.csr_matrix(
            (np.ones(len(frame), dtype=np.float32), (frame["u"], frame["i"])), shape=self.history.shape
        )

    def _genre_matrix(self, data: TrainingData) -> sp.csr_matrix | None:
        if self.items_meta is None:
            return None
        rows: list[int] = []
        cols: list[int] = []
        vocab: dict[str, int] = {}
        for column in self.items_meta.columns:
            if not pd.api.types.is_string_dtype(self.items_meta[column]) or column == "CREATION_TIMESTAMP":
                continue
            for row, value in enumerate(self.items_meta[column].to_numpy()):
                if not isinstance(value, str) or not value:
                    continue
                for token in value.split("|"):
                    rows.append(row)
                    cols.append(vocab.setdefault(f"{column}={token.strip().lower()}", len(vocab)))
        if not vocab:
            return None
        matrix = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(self.item_ids), len(vocab))
        )
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()) + 1e-9
        return sp.diags(1.0 / norms).dot(matrix).tocsr().astype(np.float32)

    def _item_scores(self, query: sp.csr_matrix) -> np.ndarray:
        """query: rows of item weights (a single item, or a user's history)."""
        scores = np.asarray((query @ self.similarity).todense(), dtype=np.float32)
        top = scores.max(axis=1, keepdims=True)
        scores = (scores / np.where(top > 0, top, 1.0)).astype(np.float32)
        if self.genre is not None:
            profile = query @ self.genre
            genre = np.asarray((profile @ self.genre.T).todense(), dtype=np.float32)
            gtop = genre.max(axis=1, keepdims=True)
            scores += self.genre_weight() * genre / np.where(gtop > 0, gtop, 1.0)
        return scores

    def score_related(self, item_rows: np.ndarray) -> np.ndarray:
        query = sp.csr_matrix(
            (np.ones(len(item_rows), dtype=np.float32), (np.arange(len(item_rows)), item_rows)),
            shape=(len(item_rows), len(self.item_ids)),
        )
        return self._item_scores(query)

    def score_histories(self, histories: sp.csr_matrix, recent: list[np.ndarray] | None = None) -> np.ndarray:
        hist = histories.tocsr().astype(np.float32)
        hist.data = np.ones_like(hist.data)
        if recent is not None:  # the order is known: what the user saw last says most about what comes next
            hist = recency_query(recent, RECENCY_DECAY, hist.shape[1])
        scores = self._item_scores(hist)
        empty = np.diff(hist.indptr) == 0
        if empty.any():
            scores[empty] = self.popular_scores(int(empty.sum()))
        # A small popularity prior breaks ties between items with no co-occurrence signal.
        return scores + 1e-3 * self.popular_scores(1)[0]


class SimilarItems(Sims):
    recipe = "aws-similar-items"

    def genre_weight(self) -> float:
        return hp_float(self.hyper, "item_metadata_weight", 0.3)
