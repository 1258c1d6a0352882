"""Public operator API of the Personalize provider."""

from __future__ import annotations

from personalize_provider.operators.campaign import (
    PersonalizeCreateCampaignOperator,
    PersonalizeCreateRecommenderOperator,
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
    PersonalizeDeleteRecommenderOperator,
    PersonalizeDeleteSchemaOperator,
    PersonalizeDeleteSolutionOperator,
    PersonalizeTeardownDatasetGroupOperator,
)
from personalize_provider.operators.jobs import (
    PersonalizeBatchInferenceJobOperator,
    PersonalizeBatchSegmentJobOperator,
    PersonalizeDatasetExportJobOperator,
    PersonalizeDatasetImportJobOperator,
)
from personalize_provider.operators.runtime import PersonalizeRecommendationsSmokeCheckOperator
from personalize_provider.operators.solution import (
    PersonalizeCreateSolutionOperator,
    PersonalizeCreateSolutionVersionOperator,
    PersonalizeGetSolutionMetricsOperator,
)

__all__ = [
    "PersonalizeBatchInferenceJobOperator",
    "PersonalizeBatchSegmentJobOperator",
    "PersonalizeCreateCampaignOperator",
    "PersonalizeCreateDatasetGroupOperator",
    "PersonalizeCreateDatasetOperator",
    "PersonalizeCreateEventTrackerOperator",
    "PersonalizeCreateFilterOperator",
    "PersonalizeCreateRecommenderOperator",
    "PersonalizeCreateSchemaOperator",
    "PersonalizeCreateSolutionOperator",
    "PersonalizeCreateSolutionVersionOperator",
    "PersonalizeDatasetExportJobOperator",
    "PersonalizeDatasetImportJobOperator",
    "PersonalizeDeleteCampaignOperator",
    "PersonalizeDeleteDatasetGroupOperator",
    "PersonalizeDeleteDatasetOperator",
    "PersonalizeDeleteEventTrackerOperator",
    "PersonalizeDeleteFilterOperator",
    "PersonalizeDeleteRecommenderOperator",
    "PersonalizeDeleteSchemaOperator",
    "PersonalizeDeleteSolutionOperator",
    "PersonalizeGetSolutionMetricsOperator",
    "PersonalizeRecommendationsSmokeCheckOperator",
    "PersonalizeTeardownDatasetGroupOperator",
]
