"""Pipeline configuration: one YAML file per DAG, validated with pydantic.

Errors name the file and the dotted field path so a broken config is fixed without guessing; a broken file breaks
only its own DAG (the factory reports it and carries on with the others).
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from personalize_pipeline.paths import config_dir
from personalize_pipeline.promotion import PromotionRule

# Personalize resource-name rule, shared by every name derived from config.
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
NAME_MAX = 63
DatasetType = Literal["interactions", "items", "users"]
ALL_DATASETS: tuple[DatasetType, ...] = ("interactions", "items", "users")
# libyaml's safe loader when PyYAML has it: ~0.3 ms instead of ~2.7 ms per config file on every DAG parse.
# A subclass, so the duplicate-key check below stays out of PyYAML's own loader.
_YAML_LOADER: Any = type("_ConfigLoader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})


def _unique_keys(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    """YAML keeps the last of a key given twice, silently: a merge leftover or a pasted block would win."""
    keys = [loader.construct_object(key, deep=True) for key, _ in node.value]
    twice = next((key for key in keys if keys.count(key) > 1), None)
    if twice is not None:
        raise yaml.constructor.ConstructorError(None, None, f"key {twice!r} appears twice in one mapping",
                                                node.start_mark)
    return dict(loader.construct_mapping(node, deep=True))


_YAML_LOADER.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_keys)


class ConfigError(ValueError):
    """A config file that cannot be used, with the file and field named."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_name(value: str) -> str:
    if not NAME_PATTERN.match(value) or len(value) > NAME_MAX:
        raise ValueError(
            f"{value!r} is not a valid Personalize name (expected {NAME_PATTERN.pattern}, at most {NAME_MAX} chars)"
        )
    return value


class EventFilter(_Model):
    """Which events count as positive interactions (the seed: rating >= 3 or a complete view)."""

    event_types: list[str] = Field(default_factory=lambda: ["click", "watch"], min_length=1)
    positive_only: bool = True
    min_rating: float = Field(3, ge=1, le=5)
    min_completion: float = Field(0.9, ge=0, le=1)


class SourceConfig(_Model):
    conn_id: str = "lms_db"
    sql: dict[DatasetType, str] = Field(default_factory=lambda: {d: f"{d}.sql" for d in ALL_DATASETS})
    chunk_rows: int = Field(200_000, ge=1_000, le=5_000_000)
    # When an event reached the database. INCREMENTAL intervals select by it, so an event that arrives after its
    # own day's run is imported by the run of the day it arrived; null selects by event time and loses those.
    arrival_column: str | None = Field("received_at", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class ValidationConfig(_Model):
    min_interactions: int = Field(1000, ge=1)
    min_users: int = Field(25, ge=1)
    min_interactions_per_user: int = Field(2, ge=1)
    event_value_min: float = 0
    event_value_max: float = 5
    min_age: int = 5
    max_age: int = 110
    genders: list[str] = Field(default_factory=lambda: ["F", "M", "X"])
    # Share of interaction item/user ids that must exist in the items/users files.
    min_reference_coverage: float = Field(0.95, ge=0, le=1)


class CampaignConfig(_Model):
    """Serve the promoted version from a campaign (real-time GetRecommendations)."""

    name: str | None = None  # default: <dataset_group>-<solution>
    min_provisioned_tps: int = Field(1, ge=1, le=500)
    exploration_weight: float | None = Field(None, ge=0, le=1)  # itemExplorationConfig (cold items)
    exploration_item_age_cutoff_days: int | None = Field(None, ge=1)

    _name = field_validator("name")(lambda v: v if v is None else _check_name(v))


BatchInput = Literal["users", "items", "user_item_lists"]


class BatchInferenceConfig(_Model):
    input: BatchInput = "users"  # users -> {"userId"}, items -> {"itemId"}, user_item_lists -> ranking
    max_queries: int = Field(1_000, ge=1, le=5_000_000)
    num_results: int = Field(25, ge=1, le=500)
    filter: str | None = None  # name of a filter from `filters`


class SolutionConfig(_Model):
    name: str
    recipe: str  # short name (aws-sims) or full recipe ARN
    event_type: str | None = None
    training_mode: Literal["FULL", "UPDATE", "AUTO"] = "FULL"  # AUTO: UPDATE when a FULL version exists
    perform_auto_training: bool = False  # Personalize would otherwise retrain (and bill) weekly
    solution_config: dict[str, object] = Field(default_factory=dict)
    campaign: CampaignConfig | None = None
    promotion: PromotionRule = Field(default_factory=PromotionRule)
    batch_inference: BatchInferenceConfig | None = None

    _name = field_validator("name")(_check_name)

    @property
    def recipe_arn(self) -> str:
        return self.recipe if self.recipe.startswith("arn:") else f"arn:aws:personalize:::recipe/{self.recipe}"

    @property
    def recommends_for_users(self) -> bool:
        """Whether the fair comparison applies: its batch input is a user."""
        return self.recipe_arn.rsplit("/", 1)[-1] in USER_RECIPES


# Recipes whose batch input is a user (USER_PERSONALIZATION and POPULAR_ITEMS): the fair comparison asks each
# version for a list per sampled user. Related-items and ranking recipes take other inputs and gate on
# Personalize's own metrics.
USER_RECIPES = frozenset({"aws-user-personalization", "aws-user-personalization-v2", "aws-popularity-count",
                          "aws-trending-now"})


class EvaluationConfig(_Model):
    """How the gate compares a candidate with the version in service.

    ``auto`` (default) and ``fair``: the newest ``holdout_hours`` of interactions are held back from the import (they
    are imported on the next run) and both versions, neither trained on them, recommend for up to ``sample_users``
    users active in that window (one batch inference job each); the gate compares Personalize's metric definitions
    computed on those lists. ``auto`` falls back to ``personalize`` when that cannot be fair (nothing in service, a
    related-items or ranking recipe, an empty window, an incumbent trained on the window, the batch-job budget
    spent); ``fair`` keeps the incumbent instead. ``personalize``: each version's own GetSolutionMetrics, computed by
    Personalize on different users and events (nothing is held back)."""

    gate: Literal["auto", "fair", "personalize"] = "auto"
    holdout_hours: int = Field(24, ge=1, le=24 * 31)
    sample_users: int = Field(200, ge=1, le=50_000)
    max_batch_jobs: int = Field(4, ge=0, le=200)  # per run: a fair comparison costs two (incumbent, candidate)
    num_results: int = Field(25, ge=25, le=500)  # list length asked of each version (the metrics go to @25)


Domain = Literal["VIDEO_ON_DEMAND", "ECOMMERCE"]
# Domain use cases are recipes named aws-vod-* / aws-ecomm-* (ListRecipes with a domain lists them).
DOMAIN_RECIPE_PREFIX: dict[str, str] = {"VIDEO_ON_DEMAND": "aws-vod-", "ECOMMERCE": "aws-ecomm-"}


def _recipe_name(recipe: str) -> str:
    return recipe.rsplit("/", 1)[-1]


class RecommenderConfig(_Model):
    """A managed recommender of the dataset group's domain (Personalize trains and retrains it itself)."""

    name: str
    recipe: str  # the use case, e.g. aws-vod-top-picks, or its recipe ARN
    min_recommendation_requests_per_second: int = Field(1, ge=1, le=500)

    _name = field_validator("name")(_check_name)

    @property
    def recipe_arn(self) -> str:
        return self.recipe if self.recipe.startswith("arn:") else f"arn:aws:personalize:::recipe/{self.recipe}"

    @property
    def recommends_for_users(self) -> bool:
        """Whether the fair comparison applies: its batch input is a user."""
        return self.recipe_arn.rsplit("/", 1)[-1] in USER_RECIPES


class RecommenderHours(_Model):
    """When recommenders serve (UTC): started at ``start`` and stopped at ``stop`` every day; they bill while on."""

    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    stop: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    @model_validator(mode="after")
    def _distinct(self) -> RecommenderHours:
        if self.start == self.stop:
            raise ValueError(f"start and stop are both {self.start}: expected two different times")
        return self

    @staticmethod
    def cron(hhmm: str) -> str:
        hour, minute = hhmm.split(":")
        return f"{int(minute)} {int(hour)} * * *"


class FilterConfig(_Model):
    name: str
    expression: str = Field(min_length=1, max_length=2500)

    _name = field_validator("name")(_check_name)


class AttributionMetric(_Model):
    """One metric: for events of ``event_type``, ``SAMPLECOUNT()`` or ``SUM(Interactions.COL)`` / ``SUM(Items.COL)``
    (numeric columns of the schemas)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,256}$")
    event_type: str = Field(min_length=1, max_length=256)
    expression: str = Field(pattern=r"^(SAMPLECOUNT\(\)|SUM\((Interactions|Items)\.[A-Za-z_][A-Za-z0-9_]*\))$")


class MetricAttributionConfig(_Model):
    """Online impact: Personalize measures the events that follow recommendations, per campaign or per the app's
    event attribution source. Created before the first import; each interactions import publishes a report to S3."""

    metrics: list[AttributionMetric] = Field(min_length=1, max_length=10)
    # Default: s3://<bucket>/<prefix>/<dataset_group>/attribution/
    output_path: str | None = Field(None, pattern=r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")

    @field_validator("metrics")
    @classmethod
    def _unique(cls, metrics: list[AttributionMetric]) -> list[AttributionMetric]:
        names = [m.name for m in metrics]
        if len(set(names)) != len(names):
            raise ValueError(f"metric names must be unique, got {names}")
        return metrics


class WaitConfig(_Model):
    """Polling of long Personalize operations; deferrable waits free the worker slot meanwhile."""

    delay_seconds: int = Field(default_factory=lambda: int(os.environ.get("PERSONALIZE_PIPELINE_WAITER_DELAY", "60")),
                               ge=1)
    max_attempts: int = Field(720, ge=1)
    deferrable: bool = True


class PoolConfig(_Model):
    """Airflow pools sized to Personalize quotas, shared by every DAG and backfill in the deployment."""

    imports: str = "personalize_imports"
    trainings: str = "personalize_trainings"
    batch: str = "personalize_batch"


POOL_SLOTS = {"imports": 5, "trainings": 20, "batch": 5}


def pools_document(pools: PoolConfig | None = None) -> dict[str, dict[str, object]]:
    """The pools in `airflow pools import` format, sized to Personalize's default per-region quotas."""
    names = (pools or PoolConfig()).model_dump()
    return {name: {"slots": POOL_SLOTS[kind], "description": f"Amazon Personalize concurrent {kind} quota",
                   "include_deferred": True} for kind, name in names.items()}


class PipelineConfig(_Model):
    name: str
    description: str = ""
    owner: str = "data-platform"
    tags: list[str] = Field(default_factory=list)
    schedule: str | None = "@daily"
    start_date: date = date(2026, 1, 1)
    retries: int = Field(2, ge=2, le=10)
    retry_delay_seconds: int = Field(
        default_factory=lambda: int(os.environ.get("PERSONALIZE_PIPELINE_RETRY_DELAY", "120")), ge=1
    )
    dataset_group: str
    aws_conn_id: str = "aws_default"
    bucket: str = Field(default_factory=lambda: os.environ.get("PERSONALIZE_BUCKET", "personalize-pipeline-local"))
    prefix: str = "personalize"
    role_arn: str = Field(
        default_factory=lambda: os.environ.get(
            "PERSONALIZE_ROLE_ARN", "arn:aws:iam::000000000000:role/PersonalizeLocalRole"
        )
    )
    kms_key_arn: str | None = None
    import_mode: Literal["FULL", "INCREMENTAL"] = "FULL"
    datasets: list[DatasetType] = Field(default_factory=lambda: list(ALL_DATASETS))
    source: SourceConfig = Field(default_factory=SourceConfig)
    event_filter: EventFilter = Field(default_factory=EventFilter)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    solutions: list[SolutionConfig] = Field(default_factory=list)
    domain: Domain | None = None  # a domain dataset group (its schemas and recommenders); None: custom
    recommenders: list[RecommenderConfig] = Field(default_factory=list)
    recommender_hours: RecommenderHours | None = None  # None: recommenders run (and bill) all day
    filters: list[FilterConfig] = Field(default_factory=list)
    metric_attribution: MetricAttributionConfig | None = None
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    wait: WaitConfig = Field(default_factory=WaitConfig)
    pools: PoolConfig = Field(default_factory=PoolConfig)
    notification_conn_id: str | None = None

    _names = field_validator("name", "dataset_group")(_check_name)

    @field_validator("bucket")
    @classmethod
    def _bucket_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", value) or ".." in value:
            raise ValueError(f"{value!r} is not a valid S3 bucket name (3-63 lower-case letters, digits, '.', '-')")
        return value

    @field_validator("prefix")
    @classmethod
    def _safe_prefix(cls, value: str) -> str:
        parts = value.strip("/").split("/")
        if any(p in ("", ".", "..") for p in parts) or not all(re.fullmatch(r"[A-Za-z0-9._=\-]+", p) for p in parts):
            raise ValueError(f"{value!r} is not a safe S3 prefix (letters, digits, . _ = - and single '/')")
        return value.strip("/")

    @model_validator(mode="after")
    def _interactions_required(self) -> PipelineConfig:
        if "interactions" not in self.datasets:
            raise ValueError("datasets must include 'interactions' (Personalize trains on it)")
        return self

    @model_validator(mode="after")
    def _references(self) -> PipelineConfig:
        names = [s.name for s in self.solutions]
        if len(names) != len(set(names)):
            raise ValueError(f"solution names must be unique, got {names}")
        filters = {f.name for f in self.filters}
        for sol in self.solutions:
            wanted = sol.batch_inference.filter if sol.batch_inference else None
            if wanted and wanted not in filters:
                raise ValueError(f"solution {sol.name!r} uses filter {wanted!r}, which is not in filters")
            for name in (sol.campaign.name if sol.campaign else None, f"{self.dataset_group}-{sol.name}"):
                if name and len(name) > NAME_MAX:
                    raise ValueError(f"resource name {name!r} is longer than {NAME_MAX} characters")
        return self

    @model_validator(mode="after")
    def _domain_resources(self) -> PipelineConfig:
        if self.recommenders and not self.domain:
            raise ValueError("recommenders need a domain dataset group: set domain (VIDEO_ON_DEMAND or ECOMMERCE)")
        if self.recommender_hours and not self.recommenders:
            raise ValueError("recommender_hours is set but there are no recommenders to start and stop")
        names = [r.name for r in self.recommenders]
        if len(names) != len(set(names)):
            raise ValueError(f"recommender names must be unique, got {names}")
        prefix = DOMAIN_RECIPE_PREFIX.get(self.domain or "", "")
        for rec in self.recommenders:
            if not _recipe_name(rec.recipe).startswith(prefix):
                raise ValueError(f"recommender {rec.name!r}: recipe {rec.recipe!r} is not a {self.domain} use case "
                                 f"(expected a recipe named {prefix}...)")
            self.resource_name(rec.name)
        for sol in self.solutions:
            if any(_recipe_name(sol.recipe).startswith(p) for p in DOMAIN_RECIPE_PREFIX.values()):
                raise ValueError(f"solution {sol.name!r}: {sol.recipe!r} is a domain use case; list it under "
                                 "recommenders")
        return self

    def schema_name(self, dataset: str) -> str:
        """The Avro schema (include/schemas/<name>.avsc) a dataset is staged and imported with: interactions carry
        the recommendation each event followed when a metric attribution measures them."""
        return f"{dataset}_attribution" if dataset == "interactions" and self.metric_attribution else dataset

    @property
    def attribution_output_path(self) -> str | None:
        if not self.metric_attribution:
            return None
        return self.metric_attribution.output_path or f"s3://{self.bucket}/{self.prefix}/{self.dataset_group}/attribution/"

    @property
    def holdout_seconds(self) -> int:
        """How much of the newest interactions each run holds back from its import for the fair comparison (0:
        none, when no solution can be compared fairly or the gate is Personalize's metrics)."""
        fair = self.evaluation.gate != "personalize" and any(s.recommends_for_users for s in self.solutions)
        return self.evaluation.holdout_hours * 3600 if fair else 0

    def fair_budget_allows(self, sol: SolutionConfig) -> bool:
        """Whether the run's batch-job budget covers this solution's comparison (solutions in config order)."""
        eligible = [s.name for s in self.solutions if s.recommends_for_users]
        return sol.name in eligible and 2 * (eligible.index(sol.name) + 1) <= self.evaluation.max_batch_jobs

    def resource_name(self, *parts: str) -> str:
        """Names of the resources this pipeline owns: <dataset_group>-<part>..., checked against the rules."""
        return _check_name("-".join((self.dataset_group, *parts)))

    @property
    def dag_id(self) -> str:
        return f"personalize_{self.name}"


def _format_errors(path: Path, error: ValidationError) -> str:
    lines = [f"{path.name}: invalid pipeline config"]
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}" + (f" (got {item['input']!r})" if "input" in item else ""))
    return "\n".join(lines)


def load_config(path: Path) -> PipelineConfig:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path.name}: cannot read YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: expected a mapping at the top level, got {type(raw).__name__}")
    raw.setdefault("name", path.stem.replace(".", "_"))
    try:
        return PipelineConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from exc


def config_files(directory: Path | None = None) -> list[Path]:
    directory = directory or config_dir()
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
