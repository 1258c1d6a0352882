"""The responses layer (as in moto): from an operation name and a request body to the backend and back.

Each request is validated against botocore's own service model, dispatched to the backend method for its
operation, and the result is shaped by the operation's output model. The backend below never sees a botocore
object; HTTP (status codes, headers) is server.py's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from . import protocol
from .backend import KINDS, Backend, Kind
from .errors import InvalidInput, UnknownOperation
from .events import EVENTS_SERVICE, EventIngest
from .runtime import Runtime

Params = dict[str, Any]
Record = dict[str, Any]


def split_op(op_name: str) -> tuple[str, str]:
    """CreateDatasetGroup -> ("create", "DatasetGroup"); ListSolutionVersions -> ("list", "SolutionVersion")."""
    match = re.fullmatch(r"(Create|Describe|List|Delete)(\w+)", op_name)
    if not match:
        raise UnknownOperation(f"{op_name} is not supported by personalize-local")
    verb, noun = match.groups()
    if verb == "List":
        noun = noun[:-1] if noun.endswith("s") else noun
    return verb.lower(), noun


class ControlPlaneResponses:
    """personalize (the control plane): the generic verbs for every resource kind, and the special operations."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.special: dict[str, Callable[[Params], Record]] = {
            "UpdateCampaign": backend.update_campaign,
            "UpdateRecommender": backend.update_recommender,
            "StartRecommender": backend.start_recommender,
            "StopRecommender": backend.stop_recommender,
            "UpdateSolution": backend.update_solution,
            "UpdateDataset": backend.update_dataset,
            "UpdateMetricAttribution": backend.update_metric_attribution,
            "ListMetricAttributionMetrics": backend.list_metric_attribution_metrics,
            "StopSolutionVersionCreation": backend.stop_solution_version,
            "GetSolutionMetrics": backend.get_solution_metrics,
            "TagResource": backend.tag_resource,
            "UntagResource": backend.untag_resource,
            "ListTagsForResource": backend.list_tags,
            "ListRecipes": backend.list_recipes,
            "DescribeRecipe": backend.describe_recipe,
            "DescribeAlgorithm": backend.describe_algorithm,
        }

    def call(self, op_name: str, params: Params) -> Record:
        op = protocol.operation(op_name)
        protocol.validate_input(op, params)
        if op_name in self.special:
            result = self.special[op_name](params)
        else:
            verb, kind_key = split_op(op_name)
            kind = KINDS.get(kind_key)
            if kind is None:
                raise UnknownOperation(f"{op_name} is not supported by personalize-local")
            result = getattr(self, verb)(kind, op, params)
        return protocol.output_for(op, result)

    def create(self, kind: Kind, op: Any, params: Params) -> Record:
        return self.backend.create(kind, params)

    def describe(self, kind: Kind, op: Any, params: Params) -> Record:
        member = next(iter(op.output_shape.members))  # e.g. "datasetGroup"
        return {member: kind.shown_status(self.backend.describe(kind, params[kind.arn_field]))}

    def list(self, kind: Kind, op: Any, params: Params) -> Record:
        parent = params.get(kind.list_parent) if kind.list_parent else None
        page, next_token = self.backend.list(kind, parent, params.get("nextToken"), params.get("maxResults"))
        member = next(m for m in op.output_shape.members if m != "nextToken")  # e.g. "datasetGroups"
        result: Record = {member: [kind.shown_status(record) for record in page]}
        if next_token is not None:
            result["nextToken"] = next_token
        return result

    def delete(self, kind: Kind, op: Any, params: Params) -> Record:
        self.backend.delete(kind, params[kind.arn_field])
        return {}


class _HandlerTable:
    """A service answered from one table of operation -> handler, each request checked against its model first."""

    service: ClassVar[str]
    shapes_output: ClassVar[bool] = True  # trim the answer to the operation's output shape
    handlers: dict[str, Callable[[Params], Record]]

    def call(self, op_name: str, params: Params) -> Record:
        op = protocol.operation(op_name, self.service)
        protocol.validate_input(op, params)
        handler = self.handlers.get(op_name)
        if handler is None:
            raise InvalidInput(f"{op_name} is not supported by personalize-local")
        result = handler(params)
        return protocol.output_for(op, result) if self.shapes_output else result


class EventsResponses(_HandlerTable):
    """personalize-events: PutEvents, PutItems, PutUsers, PutActions and PutActionInteractions."""

    service = EVENTS_SERVICE
    shapes_output = False

    def __init__(self, events: EventIngest) -> None:
        self.handlers = {
            "PutEvents": events.put_events,
            "PutItems": lambda p: events.put_records(p, "ITEMS", "items", "itemId"),
            "PutUsers": lambda p: events.put_records(p, "USERS", "users", "userId"),
            "PutActions": lambda p: events.put_records(p, "ACTIONS", "actions", "actionId"),
            "PutActionInteractions": events.put_action_interactions,
        }


class RuntimeResponses(_HandlerTable):
    """personalize-runtime: GetRecommendations, GetPersonalizedRanking and GetActionRecommendations."""

    service = protocol.RUNTIME_SERVICE

    def __init__(self, runtime: Runtime) -> None:
        self.handlers = {
            "GetRecommendations": runtime.get_recommendations,
            "GetPersonalizedRanking": runtime.get_personalized_ranking,
            "GetActionRecommendations": runtime.get_action_recommendations,
        }
