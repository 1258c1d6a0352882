"""personalize-events: PutEvents (interactions through an event tracker), PutItems and PutUsers.

Events land in the tracker's INTERACTIONS dataset (as ingestionMode PUT data, so they are used by the next
training and by PUT/ALL exports) and are applied at once to that user's recommendations: deployed models
fold the new items into the user's history without retraining, as Personalize does for real-time events.
PutItems / PutUsers upsert metadata rows (validated against the dataset schema) for the next training.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pandas as pd

from . import protocol
from .backend import Backend
from .data import store_rows
from .errors import InvalidInput, NotFound
from .schemas import conform, normal_action_event, parse_schema
from .status import ACTIVE

EVENTS_SERVICE = "personalize-events"
Record = dict[str, Any]


class EventIngest:
    """The events backend: methods take validated requests (responses.EventsResponses checks them)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def interactions_dataset(self, group_arn: str, dataset_type: str = "INTERACTIONS") -> Record | None:
        for dataset in self.backend.store.records("Dataset", group_arn):
            if dataset["datasetType"] == dataset_type:
                return dataset
        return None

    def _tracker(self, tracking_id: str) -> Record:
        tracker = next((t for t in self.backend.store.records("EventTracker") if t["trackingId"] == tracking_id), None)
        if tracker is None or tracker.get("status") != ACTIVE:
            raise NotFound(f"No active event tracker with trackingId {tracking_id}")
        return tracker

    def put_action_interactions(self, params: Record) -> Record:
        """Action interactions land in the tracker's ACTION_INTERACTIONS dataset (PUT data) and count at once
        for REPEAT_FREQUENCY; the next training learns from them."""
        tracker = self._tracker(params["trackingId"])
        dataset = self.interactions_dataset(tracker["datasetGroupArn"], "ACTION_INTERACTIONS")
        if dataset is None:
            raise InvalidInput("The event tracker's dataset group has no ACTION_INTERACTIONS dataset")
        rows: list[tuple[str, str, float, str | None, float | None]] = []
        for interaction in params["actionInteractions"]:
            event_type = normal_action_event(str(interaction["eventType"]))
            user = str(interaction.get("userId") or interaction["sessionId"])
            at = interaction["timestamp"]
            if not isinstance(at, int | float):
                raise InvalidInput("timestamp must be epoch seconds")
            rows.append((user, str(interaction["actionId"]), float(at), event_type, None))
        self.backend.store.add_events(dataset["datasetArn"], rows)
        self.backend.store.update(dataset["datasetArn"], {"_dataTime": time.time()})
        return {}

    def recent_action_events(self, solution_version: Record, user_id: str, event_type: str) -> list[tuple[str, float]]:
        """(action, timestamp) of the user's action interactions of that type recorded after the version trained."""
        dataset = self.interactions_dataset(solution_version["datasetGroupArn"], "ACTION_INTERACTIONS")
        if dataset is None:
            return []
        since = float(solution_version.get("_trainedAt") or solution_version["creationDateTime"])
        return self.backend.store.recent_events(dataset["datasetArn"], user_id, since, event_type)

    def put_events(self, params: Record) -> Record:
        store = self.backend.store
        tracker = self._tracker(params["trackingId"])
        dataset = self.interactions_dataset(tracker["datasetGroupArn"])
        if dataset is None:
            raise InvalidInput("The event tracker's dataset group has no INTERACTIONS dataset")
        # Anonymous visitors are keyed by session, as Personalize does until a userId is known.
        user = str(params.get("userId") or params["sessionId"])
        rows: list[tuple[str, str, float, str | None, float | None]] = []
        for event in params["eventList"]:
            fields = {**_event_properties(event), **{k: v for k, v in event.items() if k != "properties"}}
            if not fields.get("itemId"):
                raise InvalidInput("Each event needs an itemId for an INTERACTIONS dataset")
            sent_at = fields["sentAt"]
            if not isinstance(sent_at, int | float):
                raise InvalidInput("sentAt must be epoch seconds")
            value = fields.get("eventValue")
            rows.append(
                (
                    user,
                    str(fields["itemId"]),
                    float(sent_at),
                    fields.get("eventType"),
                    None if value is None else float(value),
                )
            )
        store.add_events(dataset["datasetArn"], rows)
        store.update(dataset["datasetArn"], {"_dataTime": time.time()})
        return {}

    def recent_items(self, solution_version: Record, user_id: str) -> list[str]:
        """Items the user interacted with through PutEvents after the version's data was snapshotted."""
        dataset = self.interactions_dataset(solution_version["datasetGroupArn"])
        if dataset is None:
            return []
        since = float(solution_version.get("_trainedAt") or solution_version["creationDateTime"])
        return self.backend.store.recent_items(dataset["datasetArn"], user_id, since)

    def put_records(self, params: Record, dataset_type: str, list_key: str, id_key: str) -> Record:
        dataset = self.backend.store.require(params["datasetArn"], "Dataset")
        if dataset["datasetType"] != dataset_type:
            raise InvalidInput(f"{params['datasetArn']} is a {dataset['datasetType']} dataset, not {dataset_type}")
        fields = parse_schema(self.backend.store.require(dataset["schemaArn"], "Schema")["schema"])
        id_field = {"ITEMS": "ITEM_ID", "USERS": "USER_ID", "ACTIONS": "ACTION_ID"}[dataset_type]
        rows = []
        for entry in params[list_key]:
            properties = protocol.json_object(entry.get("properties") or "{}", f"properties of {entry[id_key]}")
            row = {_field_name(k): _cell(v) for k, v in properties.items()}
            row[id_field] = str(entry[id_key])
            rows.append(row)
        checked = conform(pd.DataFrame(rows).fillna(""), fields)
        if checked.bad_rows:
            raise InvalidInput(checked.failure_reason(len(rows)))
        with self.backend.dataset_lock(dataset["datasetArn"]):
            store_rows(self.backend, dataset, {"importMode": "INCREMENTAL"}, checked.frame)
        return {}


def _event_properties(event: Record) -> Record:
    """An event's `properties` (a JSON object in a string). AWS's own samples send itemId and eventValue there,
    the form PutEvents took before they were top-level fields; a top-level field wins over its property."""
    raw = event.get("properties")
    return protocol.json_object(raw, "properties") if raw else {}


def _field_name(key: str) -> str:
    """Personalize maps camelCase property names onto schema fields: numberOfRatings -> NUMBER_OF_RATINGS."""
    if key.isupper() or "_" in key:
        return key.upper()
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return "" if value is None else str(value)
