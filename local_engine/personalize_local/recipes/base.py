"""Shared model plumbing: id indexes, the weighted user-item matrix, popularity and serving helpers.

Every recipe scores items as a dense float32 array over `item_ids`; serving code (predict.py) applies
exclusions, filters, exploration and top-k on top of those scores, so recipes only say how to score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InvalidInput

DAY = 86400.0


@dataclass
class TrainingData:
    """Interactions after eventType / eventValueThreshold filtering, plus optional item and user metadata."""

    interactions: pd.DataFrame  # USER_ID, ITEM_ID, TIMESTAMP[, EVENT_TYPE, EVENT_VALUE]
    items: pd.DataFrame | None = None
    users: pd.DataFrame | None = None
    actions: pd.DataFrame | None = None  # ACTION_ID[, VALUE, ACTION_EXPIRATION_TIMESTAMP, REPEAT_FREQUENCY, ...]
    action_interactions: pd.DataFrame | None = None  # USER_ID, ACTION_ID, TIMESTAMP, EVENT_TYPE


def recency_query(recent: list[np.ndarray], decay: float, n_items: int) -> sp.csr_matrix:
    """Rows of item weights from each user's items in time order: the newest weighs 1, each step back `decay`
    times less (repeats add up)."""
    lengths = np.array([len(r) for r in recent], dtype=int)
    items = np.concatenate(recent).astype(int) if len(recent) else np.zeros(0, dtype=int)
    steps_back = np.concatenate([np.arange(n)[::-1] for n in lengths]) if len(recent) else np.zeros(0)
    query = sp.csr_matrix(
        (np.power(decay, steps_back).astype(np.float32), (np.repeat(np.arange(len(recent)), lengths), items)),
        shape=(len(recent), n_items),
    )
    query.sum_duplicates()
    return query


def hp_float(hyper: dict[str, str], key: str, default: float) -> float:
    try:
        return float(hyper.get(key, default))
    except ValueError as exc:
        raise InvalidInput(f"Hyperparameter {key} must be a number, got {hyper[key]!r}") from exc


def hp_int(hyper: dict[str, str], key: str, default: int) -> int:
    return int(hp_float(hyper, key, default))


def hp_bool(hyper: dict[str, str], key: str, default: bool) -> bool:
    return str(hyper.get(key, default)).lower() in ("true", "1", "yes")


class Model:
    """Base class: builds indexes and the interaction matrix; subclasses implement `_fit` and scoring."""

    recipe = ""
    supports_users = True  # GetRecommendations with userId
    supports_items = False  # GetRecommendations with itemId (RELATED_ITEMS)

    def __init__(self, hyper: dict[str, str] | None = None, seed: int = 0) -> None:
        self.hyper = dict(hyper or {})
        self.seed = seed
        self.item_ids: np.ndarray = np.array([], dtype=object)
        self.user_ids: np.ndarray = np.array([], dtype=object)
        self.item_index: dict[str, int] = {}
        self.user_index: dict[str, int] = {}
        self.history = sp.csr_matrix((0, 0), dtype=np.float32)
        self.popularity = np.zeros(0, dtype=np.float32)
        self.item_age_days = np.zeros(0, dtype=np.float32)
        self.has_interactions = np.zeros(0, dtype=bool)
        self.items_meta: pd.DataFrame | None = None
        self.event_items: dict[str, sp.csr_matrix] = {}
        self.max_timestamp = 0.0

    # Training -----------------------------------------------------------------------------------------
    def fit(self, data: TrainingData) -> Model:
        events = self.trim_users(data.interactions)
        item_ids = pd.unique(events["ITEM_ID"].astype(str))
        if data.items is not None and len(data.items):
            item_ids = pd.unique(np.concatenate([item_ids, data.items["ITEM_ID"].astype(str).to_numpy()]))
        self.item_ids = np.asarray(item_ids, dtype=object)
        self.item_index = {item: i for i, item in enumerate(self.item_ids)}
        self.user_ids = np.asarray(pd.unique(events["USER_ID"].astype(str)), dtype=object)
        self.user_index = {user: i for i, user in enumerate(self.user_ids)}
        rows = events["USER_ID"].astype(str).map(self.user_index).to_numpy()
        cols = events["ITEM_ID"].astype(str).map(self.item_index).to_numpy()
        ts = events["TIMESTAMP"].astype("float64").to_numpy()
        self.max_timestamp = float(ts.max()) if len(ts) else 0.0
        shape = (len(self.user_ids), len(self.item_ids))
        self.history = self.weighted_matrix(rows, cols, ts, shape)
        self.popularity = np.bincount(cols, minlength=shape[1]).astype(np.float32)
        self.has_interactions = self.popularity > 0
        self.item_age_days = self._item_ages(data, cols, ts)
        if "EVENT_TYPE" in events:
            types = events["EVENT_TYPE"].fillna("").astype(str).to_numpy()
            for event_type in pd.unique(types):
                mask = types == event_type
                self.event_items[str(event_type)] = sp.csr_matrix(
                    (np.ones(mask.sum(), dtype=np.float32), (rows[mask], cols[mask])), shape=shape
                )
        if data.items is not None and len(data.items):
            meta = data.items.copy()
            meta["ITEM_ID"] = meta["ITEM_ID"].astype(str)
            self.items_meta = meta.drop_duplicates("ITEM_ID", keep="last").set_index("ITEM_ID").reindex(self.item_ids)
        self._fit(data, rows, cols, ts)
        return self

    def trim_users(self, events: pd.DataFrame) -> pd.DataFrame:
        """min/max_user_history_length_percentile (Personalize's documented hyperparameters): leave out users
        whose history length falls outside those percentiles (bots, one-off visitors); they are then served
        like new users."""
        low = hp_float(self.hyper, "min_user_history_length_percentile", 0.0)
        high = hp_float(self.hyper, "max_user_history_length_percentile", 1.0)
        if not (0.0 <= low < high <= 1.0):
            raise InvalidInput("user history length percentiles must satisfy 0 <= min < max <= 1")
        if low == 0.0 and high == 1.0:
            return events
        lengths = events.groupby("USER_ID")["USER_ID"].transform("size")
        per_user = events.groupby("USER_ID").size()
        lo, hi = per_user.quantile(low), per_user.quantile(high)
        return events[(lengths >= lo) & (lengths <= hi)].reset_index(drop=True)

    def weighted_matrix(
        self, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray, shape: tuple[int, int]
    ) -> sp.csr_matrix:
        """User x item matrix; repeated events add up and, with recency weighting, older events count less."""
        weights = np.ones(len(rows), dtype=np.float32)
        half_life = hp_float(self.hyper, "recency_half_life_days", 0.0)
        if hp_bool(self.hyper, "recency_mask", True) and half_life > 0 and len(ts):
            weights = np.power(0.5, (self.max_timestamp - ts) / (half_life * DAY)).astype(np.float32)
        matrix = sp.csr_matrix((weights, (rows, cols)), shape=shape, dtype=np.float32)
        matrix.sum_duplicates()
        return matrix

    def _item_ages(self, data: TrainingData, cols: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Item age in days at the newest event: from CREATION_TIMESTAMP, else the first interaction."""
        first_seen = np.full(len(self.item_ids), np.nan)
        if len(cols):
            order = np.argsort(ts, kind="stable")[::-1]
            first_seen[cols[order]] = ts[order]  # last write wins = earliest timestamp
        if data.items is not None and "CREATION_TIMESTAMP" in data.items:
            created = data.items[["ITEM_ID", "CREATION_TIMESTAMP"]].dropna()
            idx = created["ITEM_ID"].astype(str).map(self.item_index).to_numpy()
            first_seen[idx] = created["CREATION_TIMESTAMP"].astype("float64").to_numpy()
        age = (self.max_timestamp - first_seen) / DAY
        return np.where(np.isnan(age), 0.0, age).astype(np.float32)

    def _fit(self, data: TrainingData, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray) -> None:
        raise NotImplementedError

    # Scoring ------------------------------------------------------------------------------------------
    def score_users(self, rows: np.ndarray) -> np.ndarray:
        """Scores for known users (row indexes into user_ids)."""
        return self.score_histories(self.history[rows])

    def score_histories(self, histories: sp.csr_matrix, recent: list[np.ndarray] | None = None) -> np.ndarray:
        """Scores for arbitrary interaction histories (new or held-out users) without retraining."""
        raise NotImplementedError

    def score_related(self, item_rows: np.ndarray) -> np.ndarray:
        raise InvalidInput(f"Recipe {self.recipe} does not support item-based recommendations (itemId)")

    def exposure_prior(self) -> np.ndarray:
        """log(1 + events per day since the item appeared), scaled to [0, 1].

        A rate rather than a count, so late arrivals in a growing catalogue are not penalised for a short
        history. Recipes blend it in with their `popularity_weight` hyperparameter.
        """
        exposure_days = np.maximum(self.item_age_days, hp_float(self.hyper, "min_exposure_days", 7.0))
        prior = np.log1p(self.popularity / exposure_days)
        return (prior / max(float(prior.max(initial=0.0)), 1e-9)).astype(np.float32)

    def popular_scores(self, n_rows: int) -> np.ndarray:
        scale = self.popularity.max() or 1.0
        return np.broadcast_to(self.popularity / scale, (n_rows, len(self.item_ids))).copy()

    def describe_hyperparameters(self) -> dict[str, Any]:
        return dict(self.hyper)
