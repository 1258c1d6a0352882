"""personalize-runtime operations served from deployed campaigns and recommenders (typed methods; requests are
validated and shaped in responses.py)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .backend import Backend
from .errors import InvalidInput, NotFound
from .events import EventIngest
from .filters import CompiledFilter
from .predict import PROMOTING_RECIPES, Exploration, Promotion
from .recipes import RECIPES
from .status import ACTIVE

Record = dict[str, Any]


@dataclass(frozen=True)
class Target:
    model_arn: str  # solution version (campaigns) or recommender whose model answers
    record: Record  # the solution version or recommender: data group and training time for PutEvents
    recipe_type: str
    exploration: dict[str, str] | None
    recipe: str  # recipe (or domain use case) name
    domain: bool  # a domain recommender: Personalize shows no scores for these
    source_arn: str  # the campaign or recommender addressed: metric attribution's EVENT_ATTRIBUTION_SOURCE


class Runtime:
    def __init__(self, engine: Backend, events: EventIngest) -> None:
        self.engine = engine
        self.events = events
        self._filters: dict[str, CompiledFilter] = {}
        self._lock = threading.Lock()

    def _target(self, params: Record) -> Target:
        """The campaign or recommender a request addresses, checked to be ACTIVE."""
        store = self.engine.store
        if params.get("recommenderArn"):
            recommender = store.get(params["recommenderArn"], "Recommender")
            if recommender is None:
                raise NotFound(f"Could not find resource of type recommender with ARN: {params['recommenderArn']}")
            if recommender.get("status") != ACTIVE:
                raise InvalidInput(f"Recommender {recommender['recommenderArn']} is {recommender['status']}")
            config = recommender.get("recommenderConfig") or {}
            return Target(
                recommender["recommenderArn"],
                recommender,
                RECIPES[recommender["recipeArn"]].recipe_type,
                config.get("itemExplorationConfig"),
                RECIPES[recommender["recipeArn"]].name,
                True,
                recommender["recommenderArn"],
            )
        arn = params.get("campaignArn")
        if not arn:
            raise InvalidInput("campaignArn or recommenderArn is required")
        campaign = store.get(arn, "Campaign")
        if campaign is None:
            raise NotFound(f"Could not find resource of type campaign with ARN: {arn}")
        if campaign.get("status") != ACTIVE:
            raise InvalidInput(f"Campaign {arn} is {campaign.get('status')}, not ACTIVE")
        version = store.require(campaign["solutionVersionArn"], "SolutionVersion")
        config = campaign.get("campaignConfig") or {}
        return Target(
            campaign["solutionVersionArn"],
            version,
            RECIPES[version["recipeArn"]].recipe_type,
            config.get("itemExplorationConfig"),
            RECIPES[version["recipeArn"]].name,
            False,
            arn,
        )

    def _filter(self, params: Record) -> CompiledFilter | None:
        return self._compiled(params.get("filterArn"))

    def _compiled(self, arn: str | None) -> CompiledFilter | None:
        if not arn:
            return None
        with self._lock:
            cached = self._filters.get(arn)
        if cached is None:
            record = self.engine.store.get(arn, "Filter")
            if record is None:
                raise NotFound(f"Could not find resource of type filter with ARN: {arn}")
            if record.get("status") != ACTIVE:
                raise InvalidInput(f"Filter {arn} is {record.get('status')}, not ACTIVE")
            cached = CompiledFilter(record["filterExpression"])
            with self._lock:
                self._filters[arn] = cached
        return cached

    def _promotion(self, params: Record, target: Target) -> Promotion | None:
        promotions = params.get("promotions") or []
        if not promotions:
            return None
        if not (target.domain or target.recipe in PROMOTING_RECIPES):
            raise InvalidInput(f"Promotions are not supported for recipe {target.recipe}")
        spec = promotions[0]  # the service model allows one promotion per request
        for key in ("name", "percentPromotedItems", "filterArn"):
            if spec.get(key) in (None, ""):
                raise InvalidInput(f"promotions[0].{key} is required")
        return Promotion(
            str(spec["name"]),
            int(spec["percentPromotedItems"]),
            self._compiled(spec["filterArn"]),
            dict(spec.get("filterValues") or {}),
        )

    def get_recommendations(self, params: Record) -> Record:
        target = self._target(params)
        recipe_type = target.recipe_type
        predictor = self.engine.predictor(target.model_arn)
        n = int(params.get("numResults") or 25)
        if not 1 <= n <= 500:
            raise InvalidInput("numResults must be between 1 and 500")
        flt = self._filter(params)
        values = params.get("filterValues") or {}
        promotion = self._promotion(params, target)
        if recipe_type == "RELATED_ITEMS":
            if not params.get("itemId"):
                raise InvalidInput("This campaign or recommender serves related items: itemId required")
            ranked = predictor.recommend_items([params["itemId"]], n, flt, values, params.get("userId"), promotion)[0]
        elif recipe_type == "USER_PERSONALIZATION":
            if not params.get("userId"):
                raise InvalidInput("This campaign or recommender recommends for users: userId required")
            exploration = Exploration.from_config(target.exploration)
            user = params["userId"]
            recent = {user: self.events.recent_items(target.record, user)}
            ranked = predictor.recommend_users([user], n, flt, values, exploration, recent, promotion)[0]
        else:
            raise InvalidInput(f"GetRecommendations is not available for recipe type {recipe_type}")
        show_scores = predictor.reports_scores and not target.domain
        item_list = []
        for item, score in zip(ranked.items, ranked.scores, strict=True):
            entry: Record = {"itemId": item}
            if show_scores:
                entry["score"] = score
            if item in ranked.promoted and promotion is not None:
                entry["promotionName"] = promotion.name
            item_list.append(entry)
        return {"itemList": item_list, "recommendationId": self._recommendation_id(target)}

    def get_personalized_ranking(self, params: Record) -> Record:
        target = self._target(params)
        if target.recipe_type != "PERSONALIZED_RANKING":
            raise InvalidInput("GetPersonalizedRanking needs a campaign of a personalized-ranking recipe")
        predictor = self.engine.predictor(target.model_arn)
        ranked = predictor.rank(
            params["userId"],
            list(params["inputList"]),
            self._filter(params),
            params.get("filterValues") or {},
        )
        return {
            "personalizedRanking": [{"itemId": i, "score": s} for i, s in ranked],
            "recommendationId": self._recommendation_id(target),
        }

    def get_action_recommendations(self, params: Record) -> Record:
        """The actions the user will most likely take, by propensity (recipes/actions.py)."""
        target = self._target(params)
        if target.recipe_type != "PERSONALIZED_ACTIONS":
            raise InvalidInput("GetActionRecommendations needs a campaign of the Next-Best-Action recipe")
        if params.get("filterArn"):
            raise InvalidInput("Filters on action recommendations are not supported by personalize-local")
        user = params.get("userId")
        if not user:
            raise InvalidInput("userId is required")
        n = int(params.get("numResults") or 5)
        if not 1 <= n <= 100:
            raise InvalidInput("numResults must be between 1 and 100")
        model = self.engine.predictor(target.model_arn).model
        taken = self.events.recent_action_events(target.record, user, "TAKEN")
        ranked = model.recommend_actions(user, n, time.time(), taken)  # type: ignore[attr-defined]
        return {
            "actionList": [{"actionId": action, "score": score} for action, score in ranked],
            "recommendationId": self._recommendation_id(target),
        }

    def _recommendation_id(self, target: Target) -> str:
        """A new id, remembered with what served it: events that quote it are attributed to that source."""
        recommendation_id = f"RID-{uuid.uuid4()}"
        self.engine.store.record_recommendation(recommendation_id, target.source_arn)
        return recommendation_id
