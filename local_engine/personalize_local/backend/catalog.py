"""Tags on any resource, and the read-only recipe catalogue."""

from __future__ import annotations

from typing import Any

from ..errors import LimitExceeded, NotFound
from ..hpo import DEFAULT_RANGES
from ..recipes import RECIPES
from ..status import ACTIVE
from .kinds import Params, Record, decode_token, encode_token
from .lookups import ResourceBase


class CatalogOps(ResourceBase):
    def _taggable(self, arn: str) -> None:
        if self.store.get(arn) is None:
            raise NotFound(f"Could not find resource with ARN: {arn}")

    def tag_resource(self, p: Params) -> Record:
        self._taggable(p["resourceArn"])
        self.store.tag(p["resourceArn"], {t["tagKey"]: t["tagValue"] for t in p["tags"]})
        if len(self.store.tags(p["resourceArn"])) > 50:
            raise LimitExceeded("A resource can have at most 50 tags")
        return {}

    def untag_resource(self, p: Params) -> Record:
        self._taggable(p["resourceArn"])
        self.store.untag(p["resourceArn"], p["tagKeys"])
        return {}

    def list_tags(self, p: Params) -> Record:
        self._taggable(p["resourceArn"])
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in self.store.tags(p["resourceArn"]).items()]}

    def _recipe_record(self, arn: str) -> Record:
        recipe = RECIPES.get(arn)
        if recipe is None:
            raise NotFound(f"Recipe {arn} does not exist")
        return {
            "name": recipe.name,
            "recipeArn": recipe.arn,
            "algorithmArn": recipe.algorithm_arn,
            "featureTransformationArn": f"arn:aws:personalize:::feature-transformation/{recipe.name}",
            "status": ACTIVE,
            "description": recipe.description,
            "recipeType": recipe.recipe_type,
            "creationDateTime": 1543622400.0,
            "lastUpdatedDateTime": 1543622400.0,
            "domain": recipe.domain,
        }

    def list_recipes(self, p: Params) -> Record:
        # Without a domain filter only custom recipes are listed; with one, that domain's use cases.
        records = [self._recipe_record(arn) for arn, r in RECIPES.items() if r.domain == p.get("domain")]
        start = decode_token(p.get("nextToken"))
        size = int(p.get("maxResults") or 100)
        result: Record = {"recipes": records[start : start + size]}
        if start + size < len(records):
            result["nextToken"] = encode_token(start + size)
        return result

    def describe_recipe(self, p: Params) -> Record:
        return {"recipe": self._recipe_record(p["recipeArn"])}

    def describe_algorithm(self, p: Params) -> Record:
        name = p["algorithmArn"].rsplit("/", 1)[-1]
        recipe = self._recipe_record("arn:aws:personalize:::recipe/" + name)
        return {
            "algorithm": {
                "name": name,
                "algorithmArn": p["algorithmArn"],
                "roleArn": "",
                "creationDateTime": recipe["creationDateTime"],
                "lastUpdatedDateTime": recipe["lastUpdatedDateTime"],
                # What performHPO searches when the solution's hpoConfig declares no ranges.
                "defaultHyperParameterRanges": _wire_ranges(DEFAULT_RANGES.get(RECIPES[recipe["recipeArn"]].name, {})),
            }
        }


RANGE_KINDS = ("integerHyperParameterRanges", "continuousHyperParameterRanges", "categoricalHyperParameterRanges")


def _wire_ranges(ranges: dict[str, list[dict[str, Any]]]) -> Record:
    """DEFAULT_RANGES in DescribeAlgorithm's shape (DefaultHyperParameterRanges, with isTunable)."""
    return {kind: [{**spec, "isTunable": True} for spec in ranges.get(kind, [])] for kind in RANGE_KINDS}
