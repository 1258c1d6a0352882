"""Public operator API of the Personalize provider."""

from __future__ import annotations

from personalize_provider.operators.campaign import (
    PersonalizeCreateCampaignOperator,
    PersonalizeCreateRecommenderOperator,
    PersonalizeStartRecommenderOperator,
    PersonalizeStopRecommenderOperator,
)
from personalize_provider.operators.dataset import (
    PersonalizeCreateDatasetGroupOperator,
    PersonalizeCreateDatasetOperator,
    PersonalizeCreateEventTrackerOperator,
    PersonalizeCreateFilterOperator,
    PersonalizeCreateSchemaOperator,
)
from personalize_provider.operators.delete import (
    PersonalizeDeleteCampaignOperator,
    PersonalizeDeleteDatasetGroupOperator,
    PersonalizeDeleteDatasetOperator,
    PersonalizeDeleteEventTrackerOperator,
    PersonalizeDeleteFilterOperator,
    PersonalizeDeleteMetricAttributionOperator,
    PersonalizeDeleteRecommenderOperator,
    PersonalizeDeleteSchemaOperator,
    PersonalizeDeleteSolutionOperator,
    PersonalizeTeardownDatasetGroupOperator,
)
from personalize_provider.operators.jobs import (
    PersonalizeBatchInferenceJobOperator,
    PersonalizeBatchSegmentJobOperator,
    PersonalizeDataDeletionJobOperator,
    PersonalizeDatasetExportJobOperator,
    PersonalizeDatasetImportJobOperator,
)
from personalize_provider.operators.metric_attribution import PersonalizeCreateMetricAttributionOperator
from personalize_provider.operators.runtime import PersonalizeRecommendationsSmokeCheckOperator
from personalize_provider.operators.solution import (
    PersonalizeCreateSolutionOperator,
    PersonalizeCreateSolutionVersionOperator,
    PersonalizeGetSolutionMetricsOperator,
    PersonalizeStopSolutionVersionOperator,
)

__all__ = [
    "PersonalizeBatchInferenceJobOperator",
    "PersonalizeBatchSegmentJobOperator",
    "PersonalizeCreateCampaignOperator",
    "PersonalizeCreateDatasetGroupOperator",
    "PersonalizeCreateDatasetOperator",
    "PersonalizeCreateEventTrackerOperator",
    "PersonalizeCreateFilterOperator",
    "PersonalizeCreateMetricAttributionOperator",
    "PersonalizeCreateRecommenderOperator",
    "PersonalizeCreateSchemaOperator",
    "PersonalizeCreateSolutionOperator",
    "PersonalizeCreateSolutionVersionOperator",
    "PersonalizeDataDeletionJobOperator",
    "PersonalizeDatasetExportJobOperator",
    "PersonalizeDatasetImportJobOperator",
    "PersonalizeDeleteCampaignOperator",
    "PersonalizeDeleteDatasetGroupOperator",
    "PersonalizeDeleteDatasetOperator",
    "PersonalizeDeleteEventTrackerOperator",
    "PersonalizeDeleteFilterOperator",
    "PersonalizeDeleteMetricAttributionOperator",
    "PersonalizeDeleteRecommenderOperator",
    "PersonalizeDeleteSchemaOperator",
    "PersonalizeDeleteSolutionOperator",
    "PersonalizeGetSolutionMetricsOperator",
    "PersonalizeRecommendationsSmokeCheckOperator",
    "PersonalizeStartRecommenderOperator",
    "PersonalizeStopRecommenderOperator",
    "PersonalizeStopSolutionVersionOperator",
    "PersonalizeTeardownDatasetGroupOperator",
]
