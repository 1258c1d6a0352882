"""
Console links for Personalize resources.

The Personalize console addresses a resource by its ARN inside the URL fragment, with ``/`` in the
ARN written as ``$`` and nested under the owning dataset group, e.g.
``#arn:aws:personalize:us-east-1:111122223333:dataset-group$shop/campaigns/campaignDetail/<campaign ref>``.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.links.base_aws import BASE_AWS_CONSOLE_LINK, BaseAwsLink

_CONSOLE = BASE_AWS_CONSOLE_LINK + "/personalize/home?region={region_name}"
_IN_GROUP = _CONSOLE + "#{dataset_group_ref}"


def console_ref(arn: str | None) -> str:
    """An ARN as the console writes it in URL fragments (``/`` replaced by ``$``)."""
    return (arn or "").replace("/", "$")


class PersonalizeDatasetGroupLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Dataset Group link."""

    name = "Personalize Dataset Group"
    key = "personalize_dataset_group"
    format_str = _IN_GROUP + "/setup"


class PersonalizeSchemaLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Schemas link (schemas live outside groups)."""

    name = "Personalize Schemas"
    key = "personalize_schema"
    format_str = _CONSOLE + "#schemas"


class PersonalizeDatasetLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Dataset link."""

    name = "Personalize Dataset"
    key = "personalize_dataset"
    format_str = _IN_GROUP + "/datasets/datasetDetail/{resource_ref}"


class PersonalizeDatasetImportJobLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Dataset Import Job link."""

    name = "Personalize Dataset Import Job"
    key = "personalize_dataset_import_job"
    format_str = _IN_GROUP + "/datasetImportJobs/datasetImportJobDetail/{resource_ref}"


class PersonalizeDatasetExportJobLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Dataset Export Job link."""

    name = "Personalize Dataset Export Job"
    key = "personalize_dataset_export_job"
    format_str = _IN_GROUP + "/datasetExportJobs/datasetExportJobDetail/{resource_ref}"


class PersonalizeSolutionLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Solution link."""

    name = "Personalize Solution"
    key = "personalize_solution"
    format_str = _IN_GROUP + "/solutionsAndRecipes/solutionDetail/{resource_ref}"


class PersonalizeSolutionVersionLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Solution Version link."""

    name = "Personalize Solution Version"
    key = "personalize_solution_version"
    format_str = _IN_GROUP + "/solutionsAndRecipes/solutionVersionDetail/{resource_ref}"


class PersonalizeCampaignLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Campaign link."""

    name = "Personalize Campaign"
    key = "personalize_campaign"
    format_str = _IN_GROUP + "/campaigns/campaignDetail/{resource_ref}"


class PersonalizeBatchInferenceJobLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Batch Inference Job link."""

    name = "Personalize Batch Inference Job"
    key = "personalize_batch_inference_job"
    format_str = _IN_GROUP + "/batchInferenceJobs/batchInferenceJobDetail/{resource_ref}"


class PersonalizeBatchSegmentJobLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Batch Segment Job link."""

    name = "Personalize Batch Segment Job"
    key = "personalize_batch_segment_job"
    format_str = _IN_GROUP + "/batchSegmentJobs/batchSegmentJobDetail/{resource_ref}"


class PersonalizeFilterLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Filter link."""

    name = "Personalize Filter"
    key = "personalize_filter"
    format_str = _IN_GROUP + "/filters/filterDetail/{resource_ref}"


class PersonalizeEventTrackerLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Event Tracker link."""

    name = "Personalize Event Tracker"
    key = "personalize_event_tracker"
    format_str = _IN_GROUP + "/eventTrackers/eventTrackerDetail/{resource_ref}"


class PersonalizeRecommenderLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Recommender link."""

    name = "Personalize Recommender"
    key = "personalize_recommender"
    format_str = _IN_GROUP + "/recommenders/recommenderDetail/{resource_ref}"



class PersonalizeMetricAttributionLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Metric Attribution link (one per dataset group)."""

    name = "Personalize Metric Attribution"
    key = "personalize_metric_attribution"
    format_str = _IN_GROUP + "/metricAttribution/metricAttributionDetail/{resource_ref}"


class PersonalizeDataDeletionJobLink(BaseAwsLink):
    """Helper class for constructing Amazon Personalize Data Deletion Job link."""

    name = "Personalize Data Deletion Job"
    key = "personalize_data_deletion_job"
    format_str = _IN_GROUP + "/dataDeletionJobs/dataDeletionJobDetail/{resource_ref}"


def link_for(link_name: str | None) -> type[BaseAwsLink] | None:
    """The link class a resource spec names (see ``ResourceSpec.link``)."""
    return globals()[link_name] if link_name else None
