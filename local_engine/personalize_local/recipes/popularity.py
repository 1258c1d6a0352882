"""aws-popularity-count and aws-trending-now: non-personalised baselines over event counts."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import DAY, Model, TrainingData, hp_float


class PopularityCount(Model):
    """Most events wins: the baseline Personalize recommends comparing every solution against."""

    recipe = "aws-popularity-count"

    def _fit(self, data: TrainingData, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray) -> None:
        self.scores = self.popularity / max(float(self.popularity.max(initial=0.0)), 1.0)

    def score_histories(self, histories: sp.csr_matrix, recent: list[np.ndarray] | None = None) -> np.ndarray:
        return np.broadcast_to(self.scores, (histories.shape[0], len(self.item_ids))).astype(np.float32)


class TrendingNow(Model):
    """Items whose event count grew fastest between the previous window and the latest window.

    The window defaults to 7 days (Personalize's trend discovery frequency is configurable in hours; we map
    `trend_window_hours` if given). Growth is smoothed so that a single event on an unknown item is not a
    trend, and ties fall back to recent popularity.
    """

    recipe = "aws-trending-now"

    def _fit(self, data: TrainingData, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray) -> None:
        window = hp_float(self.hyper, "trend_window_hours", 24 * 7) * 3600.0
        span = self.max_timestamp - float(ts.min(initial=self.max_timestamp))
        window = min(window, max(span / 2, DAY)) if span > 0 else window
        recent = ts > self.max_timestamp - window
        previous = (~recent) & (ts > self.max_timestamp - 2 * window)
        n = len(self.item_ids)
        recent_counts = np.bincount(cols[recent], minlength=n).astype(np.float64)
        previous_counts = np.bincount(cols[previous], minlength=n).astype(np.float64)
        smoothing = max(1.0, float(np.median(recent_counts[recent_counts > 0])) if recent.any() else 1.0)
        growth = (recent_counts + 1.0) / (previous_counts + smoothing)
        score = growth * np.log1p(recent_counts)
        self.scores = (score / max(float(score.max(initial=0.0)), 1e-9)).astype(np.float32)
        self.window_seconds = window

    def score_histories(self, histories: sp.csr_matrix, recent: list[np.ndarray] | None = None) -> np.ndarray:
        return np.broadcast_to(self.scores, (histories.shape[0], len(self.item_ids))).astype(np.float32)
