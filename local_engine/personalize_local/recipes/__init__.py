"""Recipe catalogue: the aws recipes this engine trains, with their Personalize recipe types.

algorithmHyperParameters understood (strings, as Personalize passes them; defaults in brackets):

* every recipe: min_user_history_length_percentile [0], max_user_history_length_percentile [1];
  recency_half_life_days [0 = off] weights events by age, unless recency_mask is "false".
* aws-user-personalization, aws-personalized-ranking (ALS base), aws-user-personalization-v2 (EASE base): the
  sequence-aware blend of sequence.py: bptt [32] recent items read, transition_window [3]; sequence_weight and
  popularity_weight are chosen on a validation split unless given.
* ALS (those two and aws-item-affinity, aws-item-attribute-affinity): hidden_dimension [16], regularization [10],
  alpha [5], iterations [12], num_threads [2]; the segmentation recipes also take popularity_weight [1.0] and
  min_exposure_days [7] for their user scores.
* EASE: max_items [3000], l2_regularization [50].
* aws-sims: popularity_discount_factor [0.5], min_cointeraction_count [1], max_history [100];
  aws-similar-items adds item_metadata_weight [0.3].
* aws-trending-now: trend_window_hours [168].

performHPO searches solutionConfig.hpoConfig's ranges (hpo.py). Campaign / batch itemExplorationConfig
(explorationWeight, explorationItemAgeCutOff) applies to the two user-personalization recipes (predict.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .actions import NextBestAction
from .base import Model, TrainingData
from .ease import EASE, PersonalizedRankingV2
from .factorization import ItemAffinity, ItemAttributeAffinity, PersonalizedRanking, UserPersonalization
from .popularity import PopularityCount, TrendingNow
from .similarity import SimilarItems, Sims

RECIPE_ARN_PREFIX = "arn:aws:personalize:::recipe/"


@dataclass(frozen=True)
class Recipe:
    name: str
    recipe_type: str
    model: type[Model]
    description: str
    domain: str | None = None  # VIDEO_ON_DEMAND / ECOMMERCE use cases serve recommenders, not solutions

    @property
    def arn(self) -> str:
        return RECIPE_ARN_PREFIX + self.name

    @property
    def algorithm_arn(self) -> str:
        return "arn:aws:personalize:::algorithm/" + self.name


RECIPES: dict[str, Recipe] = {
    r.arn: r
    for r in [
        Recipe(
            "aws-user-personalization",
            "USER_PERSONALIZATION",
            UserPersonalization,
            "Implicit-feedback ALS with recency weighting; cold users get popular items; new items explored.",
        ),
        Recipe(
            "aws-user-personalization-v2",
            "USER_PERSONALIZATION",
            EASE,
            "EASE item-item autoencoder over the most popular items with recency weighting.",
        ),
        Recipe(
            "aws-popularity-count",
            "USER_PERSONALIZATION",
            PopularityCount,
            "Items ranked by event count; the baseline for comparing other solutions.",
        ),
        Recipe(
            "aws-trending-now",
            "USER_PERSONALIZATION",
            TrendingNow,
            "Items whose interactions grew fastest in the latest time window.",
        ),
        Recipe(
            "aws-personalized-ranking",
            "PERSONALIZED_RANKING",
            PersonalizedRanking,
            "ALS scores used to rank a caller-supplied list of items.",
        ),
        Recipe(
            "aws-personalized-ranking-v2",
            "PERSONALIZED_RANKING",
            PersonalizedRankingV2,
            "The EASE next-item distribution of aws-user-personalization-v2 used to rank a caller-supplied list.",
        ),
        Recipe(
            "aws-next-best-action",
            "PERSONALIZED_ACTIONS",
            NextBestAction,
            "Actions ranked by the user's propensity to take them (recipes/actions.py).",
        ),
        Recipe("aws-sims", "RELATED_ITEMS", Sims, "Item co-occurrence with a popularity discount."),
        Recipe(
            "aws-similar-items",
            "RELATED_ITEMS",
            SimilarItems,
            "Item co-occurrence blended with categorical item metadata similarity.",
        ),
        Recipe(
            "aws-item-affinity",
            "USER_SEGMENTATION",
            ItemAffinity,
            "Users with the highest ALS affinity for an item.",
        ),
        Recipe(
            "aws-item-attribute-affinity",
            "USER_SEGMENTATION",
            ItemAttributeAffinity,
            "Users with the highest ALS affinity for items sharing given attributes.",
        ),
    ]
}
DEFAULT_RECIPE = RECIPE_ARN_PREFIX + "aws-user-personalization"

# Domain use cases (recommenders) reuse the custom recipes' models.
_DOMAIN_USE_CASES = [
    ("VIDEO_ON_DEMAND", "aws-vod-top-picks", "aws-user-personalization"),
    ("VIDEO_ON_DEMAND", "aws-vod-most-popular", "aws-popularity-count"),
    ("VIDEO_ON_DEMAND", "aws-vod-trending-now", "aws-trending-now"),
    ("VIDEO_ON_DEMAND", "aws-vod-because-you-watched-x", "aws-sims"),
    ("VIDEO_ON_DEMAND", "aws-vod-more-like-x", "aws-similar-items"),
    ("ECOMMERCE", "aws-ecomm-recommended-for-you", "aws-user-personalization"),
    ("ECOMMERCE", "aws-ecomm-popular-items-by-views", "aws-popularity-count"),
    ("ECOMMERCE", "aws-ecomm-popular-items-by-purchases", "aws-popularity-count"),
    ("ECOMMERCE", "aws-ecomm-customers-who-viewed-x-also-viewed", "aws-sims"),
    ("ECOMMERCE", "aws-ecomm-frequently-bought-together", "aws-sims"),
]
for _domain, _name, _base in _DOMAIN_USE_CASES:
    _custom = RECIPES[RECIPE_ARN_PREFIX + _base]
    RECIPES[RECIPE_ARN_PREFIX + _name] = Recipe(
        _name, _custom.recipe_type, _custom.model, f"{_domain} use case served by {_base}.", _domain
    )

__all__ = ["DEFAULT_RECIPE", "RECIPES", "Model", "Recipe", "TrainingData"]
