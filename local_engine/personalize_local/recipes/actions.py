"""aws-next-best-action: the actions a user will most likely take, scored by propensity, as Personalize documents.

* Training reads the Actions dataset (at most 1000 actions: new ones without interactions and those with the most
  recent interactions first) and the Action interactions dataset (TAKEN, NOT_TAKEN, VIEWED).
* An action gets a propensity score only with at least 50 TAKEN and 50 NOT_TAKEN or VIEWED interactions within six
  weeks of the newest action interaction; until then it is recommended without personalization, at score 0.0.
* The score is the probability that the user takes the action: the action's take rate (a Beta(1, 1) prior over
  its exposures), scaled by the user's own take rate across actions and shrunk towards the user's history with
  that action. An exposure is a TAKEN or NOT_TAKEN, or a VIEWED not followed by either.
* Serving drops expired actions (ACTION_EXPIRATION_TIMESTAMP) and, for REPEAT_FREQUENCY days after a user took an
  action, that action; ties in score go to the action with the greater VALUE.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidInput
from .base import DAY, Model, TrainingData

MAX_ACTIONS = 1000
MIN_TAKEN = 50
MIN_NOT_TAKEN = 50
SCORING_WINDOW_DAYS = 42
ACTION_EVENT_TYPES = ("TAKEN", "NOT_TAKEN", "VIEWED")
USER_PRIOR = 10.0  # exposures' worth of the average take rate a user's own rate is shrunk towards
PAIR_PRIOR = 5.0  # the same for one user and one action


def _numbers(frame: pd.DataFrame, column: str, default: float) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), default, dtype=np.float64)
    return pd.to_numeric(frame[column], errors="coerce").astype("float64").fillna(default).to_numpy()


class NextBestAction(Model):
    recipe = "aws-next-best-action"
    scores_are_probabilities = True
    supports_users = False  # GetActionRecommendations only

    def fit(self, data: TrainingData) -> NextBestAction:
        actions = data.actions
        if actions is None or actions.empty:
            raise InvalidInput("The Next-Best-Action recipe needs an Actions dataset with imported actions")
        actions = actions.assign(ACTION_ID=actions["ACTION_ID"].astype(str)).drop_duplicates("ACTION_ID", keep="last")
        events = data.action_interactions
        if events is None:
            events = pd.DataFrame(columns=["USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE"])
        events = events.assign(
            USER_ID=events["USER_ID"].astype(str),
            ACTION_ID=events["ACTION_ID"].astype(str),
            EVENT_TYPE=events["EVENT_TYPE"].astype(str).str.upper(),
            TIMESTAMP=pd.to_numeric(events["TIMESTAMP"], errors="coerce").astype("float64"),
        )
        actions = self._considered(actions, events)
        self.action_ids = actions["ACTION_ID"].to_numpy(dtype=object)
        self.action_index = {a: i for i, a in enumerate(self.action_ids)}
        self.values = _numbers(actions, "VALUE", 0.0)
        self.expires = _numbers(actions, "ACTION_EXPIRATION_TIMESTAMP", np.inf)
        self.repeat_days = np.clip(_numbers(actions, "REPEAT_FREQUENCY", 0.0), 0.0, 30.0)
        events = events[events["ACTION_ID"].isin(self.action_index)]
        self.max_timestamp = float(events["TIMESTAMP"].max()) if len(events) else 0.0
        recent = events[events["TIMESTAMP"] >= self.max_timestamp - SCORING_WINDOW_DAYS * DAY]
        self._fit_rates(recent)
        taken = events[events["EVENT_TYPE"] == "TAKEN"]
        self.last_taken: dict[str, dict[str, float]] = {}
        for (user, action), at in taken.groupby(["USER_ID", "ACTION_ID"])["TIMESTAMP"].max().items():
            self.last_taken.setdefault(str(user), {})[str(action)] = float(at)
        return self

    def _considered(self, actions: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
        """At most 1000 actions: those never interacted with (new) first, then by their latest interaction."""
        if len(actions) <= MAX_ACTIONS:
            return actions.reset_index(drop=True)
        latest = events.groupby("ACTION_ID")["TIMESTAMP"].max()
        order = actions["ACTION_ID"].map(latest).fillna(np.inf)
        return actions.assign(_order=order).sort_values("_order", ascending=False, kind="stable").head(
            MAX_ACTIONS).drop(columns="_order").reset_index(drop=True)

    def _fit_rates(self, events: pd.DataFrame) -> None:
        counts = (
            events.assign(n=1)
            .pivot_table(index=["USER_ID", "ACTION_ID"], columns="EVENT_TYPE", values="n", aggfunc="sum", fill_value=0)
            .reindex(columns=list(ACTION_EVENT_TYPES), fill_value=0)
        )
        taken, not_taken, viewed = (counts[t].to_numpy(dtype=np.float64) for t in ACTION_EVENT_TYPES)
        exposures = np.maximum(viewed, taken + not_taken)
        pairs = counts.index.to_frame(index=False)
        by_action = pd.DataFrame({"ACTION_ID": pairs["ACTION_ID"], "taken": taken, "not": not_taken + viewed,
                                  "exposures": exposures}).groupby("ACTION_ID").sum()
        by_action = by_action.reindex(self.action_ids, fill_value=0.0)
        self.scored = ((by_action["taken"] >= MIN_TAKEN) & (by_action["not"] >= MIN_NOT_TAKEN)).to_numpy()
        self.action_rate = ((by_action["taken"] + 1.0) / (by_action["exposures"] + 2.0)).to_numpy()
        overall = float(taken.sum() + 1.0) / float(exposures.sum() + 2.0)
        by_user = pd.DataFrame({"USER_ID": pairs["USER_ID"], "taken": taken, "exposures": exposures}).groupby(
            "USER_ID").sum()
        lift = (by_user["taken"] + USER_PRIOR * overall) / (by_user["exposures"] + USER_PRIOR) / overall
        self.user_lift: dict[str, float] = lift.to_dict()
        self.pair_counts: dict[tuple[str, str], tuple[float, float]] = {
            (u, a): (t, e) for u, a, t, e in zip(pairs["USER_ID"], pairs["ACTION_ID"], taken, exposures, strict=True)
        }

    def propensities(self, user_id: str) -> np.ndarray:
        """P(user takes each action); 0.0 for actions without enough interactions to be scored."""
        base = np.clip(self.action_rate * self.user_lift.get(user_id, 1.0), 0.0, 1.0)
        for i, action in enumerate(self.action_ids):
            pair = self.pair_counts.get((user_id, action))
            if pair is not None:
                taken, exposures = pair
                base[i] = (taken + PAIR_PRIOR * base[i]) / (exposures + PAIR_PRIOR)
        return np.where(self.scored, base, 0.0)

    def recommend_actions(
        self, user_id: str, n: int, now: float, taken_since_training: list[tuple[str, float]]
    ) -> list[tuple[str, float]]:
        scores = self.propensities(user_id)
        available = self.expires > now
        last = dict(self.last_taken.get(user_id, {}))
        for action, at in taken_since_training:
            last[action] = max(at, last.get(action, 0.0))
        for action, at in last.items():
            i = self.action_index.get(action)
            if i is not None and self.repeat_days[i] > 0 and now - at < self.repeat_days[i] * DAY:
                available[i] = False
        order = sorted(np.flatnonzero(available), key=lambda i: (-scores[i], -self.values[i], self.action_ids[i]))
        return [(str(self.action_ids[i]), round(float(scores[i]), 7)) for i in order[:n]]

    def describe_hyperparameters(self) -> dict[str, Any]:
        return {}
