"""
Shared machinery of the Personalize operators.

* :class:`PersonalizeBaseOperator` - waiting, deferral, failure reporting, links and XCom shaping.
* :class:`PersonalizeCreateResourceOperator` - create-or-adopt driven by a :class:`ResourceSpec`:
  an existing resource with the same name is adopted when its definition matches the request,
  updated when only updatable fields differ, and reported field by field otherwise.
* :class:`PersonalizeJobOperator` - create-or-adopt for jobs, whose names are derived from the
  run and the job definition so a retried task re-attaches instead of paying for a second job.
* :class:`PersonalizeDeleteResourceOperator` - delete and wait until describe answers NotFound.
* :class:`PersonalizeTransitionOperator` - an action that moves an existing resource to another state (start or
  stop a recommender) and waits for it; a resource already there or on its way is left alone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils import validate_execute_complete_event
from airflow.providers.amazon.aws.utils.waiter_with_logging import wait
from airflow.providers.common.compat.sdk import AirflowException, conf
from botocore.exceptions import ClientError

from personalize_provider.exceptions import (
    PersonalizeResourceDriftError,
    PersonalizeResourceFailedError,
    PersonalizeResourceInUseError,
)
from personalize_provider.hooks.personalize import PersonalizeHook, error_code
from personalize_provider.links.personalize import console_ref, link_for
from personalize_provider.resources import ResourceSpec
from personalize_provider.triggers.personalize import PersonalizeResourceTrigger
from personalize_provider.utils.naming import job_name, run_key
from personalize_provider.waiters import waiter_model

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context

#: Fields never compared when adopting (tags are not returned by Describe*).
_NEVER_COMPARED = frozenset({"tags"})
#: Upper bound of a single LimitExceeded back-off sleep.
_MAX_LIMIT_BACKOFF = 900


def waiter_outcome(spec: ResourceSpec, description: dict[str, Any], target: str = "active") -> str | None:
    """
    Evaluate the resource's ``<kind>_<target>`` waiter acceptors against one description.

    Returns ``"success"``, ``"failure"`` or None (still transitioning). Reusing the waiter model
    keeps one definition of "terminal" for the sync wait, the trigger and the pre-defer check.
    """
    response = {spec.describe_key: description}
    for acceptor in waiter_model().get_waiter(spec.waiter_name(target)).acceptors:
        if acceptor.matcher != "error" and acceptor.matcher_func(response):
            return str(acceptor.state)
    return None


def failure_reason(spec: ResourceSpec, description: dict[str, Any]) -> str:
    """Personalize's failureReason, including the latest in-place update's (campaigns, solutions, ...)."""
    reasons = [description.get("failureReason")]
    if spec.update_key:
        reasons.append((description.get(spec.update_key) or {}).get("failureReason"))
    found = [r for r in reasons if r]
    return "; ".join(found) if found else f"status {description.get('status')!r}"


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def matches(expected: Any, actual: Any) -> bool:
    """
    Whether a described value satisfies a requested one.

    Mappings are compared as subsets because Personalize fills in defaults (e.g. inside
    ``solutionConfig``); False and an absent flag are equivalent.
    """
    if isinstance(expected, dict):
        if not expected:
            return not actual
        return isinstance(actual, dict) and all(matches(v, actual.get(k)) for k, v in expected.items())
    if expected is False and actual is None:
        return True
    return bool(expected == actual)


def _xcom_safe(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class PersonalizeBaseOperator(AwsBaseOperator[PersonalizeHook]):
    """
    Base for operators acting on one Personalize resource type.

    :param wait_for_completion: Whether to wait for the resource to reach its terminal state.
    :param waiter_delay: Seconds between status checks (default depends on the resource type).
    :param waiter_max_attempts: Maximum number of status checks (default depends on the resource type).
    :param deferrable: Wait in the triggerer instead of the worker. This implies waiting.
    :param aws_conn_id: The Airflow connection used for AWS credentials.
    :param region_name: AWS region_name. If not specified then the default boto3 behaviour is used.
    :param verify: Whether or not to verify SSL certificates.
    :param botocore_config: Configuration dictionary (key-values) for botocore client. When neither
        this nor the connection sets one, adaptive retries (max 10 attempts) are used.
    :param console_dataset_group_arn: The dataset group the resource belongs to, for its console link only, where
        the description does not name it (jobs, solution versions, campaigns): saves the describe that finds it.
    """

    aws_hook_class = PersonalizeHook
    resource: ClassVar[ResourceSpec]
    #: Whether the operator carries its resource's console link (not for deletes: the resource is gone).
    links_resource: ClassVar[bool] = True
    #: Operators acting on an existing resource (deletes, transitions) name their templated ARN argument here.
    arn_argument: ClassVar[str]
    #: Overrides of the resource spec's polling defaults for this kind of operator (deletes poll faster).
    default_waiter_delay: ClassVar[int | None] = None
    default_waiter_max_attempts: ClassVar[int | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The console link comes from the resource spec (the one registry), not from a list per operator class.
        super().__init_subclass__(**kwargs)
        link = link_for(cls.resource.link) if "resource" in cls.__dict__ and cls.links_resource else None
        if link is not None and "operator_extra_links" not in cls.__dict__:
            cls.operator_extra_links = (link(),)

    def __init__(
        self,
        *,
        wait_for_completion: bool = True,
        waiter_delay: int | None = None,
        waiter_max_attempts: int | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        console_dataset_group_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.console_dataset_group_arn = console_dataset_group_arn
        self.wait_for_completion = wait_for_completion
        spec = self.resource
        self.waiter_delay = next(
            v for v in (waiter_delay, self.default_waiter_delay, spec.waiter_delay) if v is not None
        )
        self.waiter_max_attempts = next(
            v for v in (waiter_max_attempts, self.default_waiter_max_attempts, spec.waiter_max_attempts)
            if v is not None
        )
        self.deferrable = deferrable

    @property
    def resource_arn(self) -> str:
        """The ARN the operator acts on, read from its templated ``arn_argument``."""
        return str(getattr(self, self.arn_argument))

    # -- results -----------------------------------------------------------------------------------

    def xcom_value(self, description: dict[str, Any]) -> dict[str, Any]:
        """Small JSON-safe summary: no timestamps, no nested payloads."""
        spec = self.resource
        value: dict[str, Any] = {
            "arn": description.get(spec.arn_key),
            "name": description.get(spec.name_key),
            "status": description.get("status"),
        }
        for field in spec.xcom_fields:
            if field in description and _xcom_safe(description[field]):
                value[field] = description[field]
        return value

    def persist_link(self, context: Context, description: dict[str, Any]) -> None:
        """Store and log the console link; never fail the task over a cosmetic link."""
        spec = self.resource
        link = link_for(spec.link)
        if link is None:
            return
        try:
            fields = {
                "dataset_group_ref": console_ref(
                    self.console_dataset_group_arn or self.hook.get_dataset_group_arn(spec, description)
                ),
                "resource_ref": console_ref(description.get(spec.arn_key)),
            }
            region, partition = self.hook.conn_region_name, self.hook.conn_partition
            link.persist(
                context=context, operator=self, region_name=region, aws_partition=partition, **fields
            )
            url = link().format_link(region_name=region, aws_domain=link.get_aws_domain(partition), **fields)
            self.log.info("%s console: %s", spec.label.capitalize(), url)
        except Exception as error:  # links are best effort
            self.log.warning("Could not build the console link for %s: %s", spec.label, error)

    # -- waiting -----------------------------------------------------------------------------------

    def _raise_failed(self, arn: str, description: dict[str, Any], verb: str = "creation") -> NoReturn:
        reason = failure_reason(self.resource, description)
        label = self.resource.label
        raise PersonalizeResourceFailedError(f"Personalize {label} {arn} {verb} failed: {reason}")

    def _goal(self, target: str) -> str:
        spec = self.resource
        return spec.done_status if target == "active" else spec.other_targets.get(target, target.upper())

    def wait_until_active(
        self, context: Context, description: dict[str, Any], target: str = "active"
    ) -> dict[str, Any]:
        """Return the XCom value now if no wait is needed or possible, else wait or defer (until ``target``)."""
        spec = self.resource
        arn = description[spec.arn_key]
        if not spec.has_status:
            return self.xcom_value(description)
        goal = self._goal(target)
        verb = "creation" if target == "active" else f"transition to {goal}"
        outcome = waiter_outcome(spec, description, target)
        if outcome == "failure":
            self._raise_failed(arn, description, verb)
        if outcome == "success" or not (self.wait_for_completion or self.deferrable):
            return self.xcom_value(description)
        settled = self.settled_value(description, target)
        # A resource that has not started (just created, or queued) is not ready a moment later: the first status
        # check comes after one delay, not at once.
        first_check_after = self.waiter_delay if description.get("status") == spec.initial_status else 0
        if self.deferrable:
            self.log.info("Deferring until %s %s is %s", spec.label, arn, goal)
            self.defer(trigger=self._trigger(arn, target, first_check_after, settled),
                       method_name="execute_complete", kwargs={"target": target})
        self.log.info("Waiting for %s %s to become %s", spec.label, arn, goal)
        if first_check_after:
            time.sleep(first_check_after)
        try:
            wait(
                waiter=self.hook.get_waiter(spec.waiter_name(target)),
                waiter_delay=self.waiter_delay,
                waiter_max_attempts=self.waiter_max_attempts,
                args={spec.arn_key: arn},
                failure_message=f"Personalize {spec.label} {arn} failed",
                status_message=f"{spec.label.capitalize()} {arn} status",
                status_args=[f"{spec.describe_key}.status"],
            )
        except AirflowException as error:
            # The Amazon provider raises WaiterTerminalFailure (carrying the last response) in recent versions and
            # a bare AirflowException raised while handling botocore's WaiterError in 9.34 (MWAA 3.3.1's pin);
            # either way the resource's own status tells a failure from a wait out of attempts (re-raised as is).
            response = getattr(error, "last_response", None) or getattr(error.__context__, "last_response", None)
            last = (response or {}).get(spec.describe_key) or self.hook.describe(spec, arn)
            if waiter_outcome(spec, last, target) != "failure":
                raise
            self._raise_failed(arn, last, verb)
        return settled or self.xcom_value(self.hook.describe(spec, arn))

    def settled_value(self, description: dict[str, Any], target: str) -> dict[str, Any] | None:
        """
        The XCom value the resource will have once the wait for ``target`` succeeds, when nothing but its status can
        change meanwhile; None when it must be described again (fields known only when done, an update in flight).

        Saves a ``Describe*`` per wait: the waiter has just read the status, and the other fields are the request's.
        """
        spec = self.resource
        if spec.final_fields or getattr(self, "_sent_update", False):
            return None  # read again when done: fields filled in only then, or an update this task just sent
        update = description.get(spec.update_key) if spec.update_key else None
        if update and update.get("status") not in (spec.done_status, *spec.failed_statuses):
            return None
        return {**self.xcom_value(description), "status": self._goal(target)}

    def _trigger(
        self, arn: str, target: str, first_check_after: int = 0, settled: dict[str, Any] | None = None
    ) -> PersonalizeResourceTrigger:
        return PersonalizeResourceTrigger(
            resource=self.resource.kind,
            resource_arn=arn,
            target=target,
            first_check_after=first_check_after,
            settled=settled,
            waiter_delay=self.waiter_delay,
            waiter_max_attempts=self.waiter_max_attempts,
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            verify=self.verify,
            botocore_config=self.botocore_config,
        )

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, target: str = "active"
    ) -> dict[str, Any]:
        validated_event = validate_execute_complete_event(event)
        arn = validated_event.get("resource_arn")
        if validated_event.get("status") != "success":
            raise PersonalizeResourceFailedError(
                f"Error while waiting for Personalize {self.resource.label} {arn}: "
                f"{validated_event.get('message', validated_event)}"
            )
        self.log.info("Personalize %s %s is %s", self.resource.label, arn, self._goal(target))
        # The trigger hands back the settled value (see settled_value) when there was one: no describe then.
        settled = validated_event.get("settled")
        return dict(settled) if settled else self.xcom_value(self.hook.describe(self.resource, str(arn)))


class PersonalizeCreateResourceOperator(PersonalizeBaseOperator):
    """
    Create a Personalize resource, or adopt the existing one with the same name.

    Subclasses set ``resource`` and implement :meth:`build_request` (the exact ``Create*`` kwargs).

    :param update_if_changed: When an existing resource differs only in fields Personalize can
        update in place (``updatable_fields``), update it instead of failing. (default: True)
    """

    #: Fields that can be changed on an existing resource through its ``Update*`` call.
    updatable_fields: ClassVar[frozenset[str]] = frozenset()
    #: Enum-like fields the API may echo in another case (e.g. ``datasetType``).
    case_insensitive_fields: ClassVar[frozenset[str]] = frozenset()
    #: Send the ``Create*`` call before looking for an existing resource. For jobs, whose names are new on each run
    #: (a retry or a re-run is the exception, which Personalize answers with ResourceAlreadyExistsException),
    #: listing first costs a call per job for nothing; resources (groups, schemas, solutions) exist on most runs.
    create_first: ClassVar[bool] = False
    # For resources LimitExceededException is a hard quota (e.g. one event tracker per group):
    # fail at once. Jobs override this, as their limits are on concurrency and clear up.
    transient_create_errors: ClassVar[frozenset[str]] = frozenset()
    limit_exceeded_retry_delay: int = 60
    limit_exceeded_max_retries: int = 0

    def __init__(self, *, update_if_changed: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.update_if_changed = update_if_changed
        self._limit_attempt = 0  # LimitExceeded retries already waited for (carried across a deferral)
        self._sent_update = False  # an Update* call sent by this try (its result is read when done)

    def build_request(self, context: Context) -> dict[str, Any]:
        """Keyword arguments of the ``Create*`` call (None values are dropped)."""
        raise NotImplementedError

    def candidate_requests(self, context: Context) -> Iterator[dict[str, Any]]:
        """Requests to try in order; jobs yield a fresh name after a failed attempt."""
        yield self.build_request(context)

    def list_parent(self, request: dict[str, Any]) -> str | None:
        key = self.resource.list_parent_key
        return request.get(key) if key else None

    def summary_hints(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """``List*`` summary fields the wanted resource must have (see ``PersonalizeHook.find_by_name``)."""
        return None

    def current_definition(self, description: dict[str, Any]) -> dict[str, Any]:
        """
        The definition to compare against: the description, with the latest in-place update's fields over it.

        An update in flight (or done) is what the resource is becoming, so a retried task that already sent it does
        not send it again; a failed update changed nothing.
        """
        key = self.resource.update_key
        update = description.get(key) if key else None
        if not update or update.get("status") in self.resource.failed_statuses:
            return description
        return {**description, **self.update_overlay(update, description)}

    def update_overlay(self, update: dict[str, Any], description: dict[str, Any]) -> dict[str, Any]:
        """The definition fields an update summary carries (most summaries use the request's own names)."""
        return {k: v for k, v in update.items() if k in self.updatable_fields}

    def can_update(self, diffs: dict[str, tuple[Any, Any]]) -> bool:
        """Whether the differing fields can all be changed in place."""
        return set(diffs) <= self.updatable_fields

    def drift(self, request: dict[str, Any], description: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        """Differing fields as ``{field: (actual, expected)}``."""
        current = self.current_definition(description)
        diffs: dict[str, tuple[Any, Any]] = {}
        for field, expected in request.items():
            if field in _NEVER_COMPARED or field == self.resource.name_key:
                continue
            actual = current.get(field)
            if field == "schema":  # JSON text: compare the documents, not their whitespace
                expected, actual = json.loads(expected), json.loads(actual) if actual else actual
            elif field in self.case_insensitive_fields and isinstance(actual, str):
                expected, actual = str(expected).upper(), actual.upper()
            if not matches(expected, actual):
                diffs[field] = (actual, expected)
        return diffs

    def update(self, arn: str, request: dict[str, Any], diffs: dict[str, tuple[Any, Any]]) -> None:
        raise NotImplementedError  # only called when updatable_fields is non-empty

    def _create(self, request: dict[str, Any], refused: ClientError | None = None) -> dict[str, Any]:
        """
        Send the ``Create*`` call and return its response, backing off (bounded, doubling) while Personalize
        answers a transient error. ``refused``: the answer a create at once already got (the back-off starts there
        rather than asking again at once).

        Deferrable operators wait out the back-off in the triggerer (a timer trigger, then the whole execute again,
        which adopts anything created meanwhile) so a quota full for half an hour holds no worker slot.
        """
        create = getattr(self.hook.client, f"create_{self.resource.kind}")
        if refused is not None:
            self._back_off(request, refused)
        while True:
            try:
                response: dict[str, Any] = create(**request)
                return response
            except ClientError as error:
                self._back_off(request, error)

    def _back_off(self, request: dict[str, Any], error: ClientError) -> None:
        """Wait before the next create after a transient refusal (deferred, or asleep); re-raise any other error
        and the last refusal once the retries are spent."""
        spec = self.resource
        attempt = self._limit_attempt
        if error_code(error) not in self.transient_create_errors or attempt >= self.limit_exceeded_max_retries:
            raise error
        delay = min(self.limit_exceeded_retry_delay * 2**attempt, _MAX_LIMIT_BACKOFF)
        self._limit_attempt += 1
        self.log.warning(
            "Personalize cannot create %s %r yet (%s); retry %d/%d in %ss%s",
            spec.label,
            request.get(spec.name_key),
            error,
            attempt + 1,
            self.limit_exceeded_max_retries,
            delay,
            " (deferred, no worker slot held)" if self.deferrable else "",
        )
        if self.deferrable:
            from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger

            self.defer(
                trigger=TimeDeltaTrigger(timedelta(seconds=delay)),
                method_name="resume_after_limit",
                kwargs={"limit_attempt": self._limit_attempt},
            )
        time.sleep(delay)

    def resume_after_limit(
        self, context: Context, event: dict[str, Any] | None = None, limit_attempt: int = 0
    ) -> dict[str, Any]:
        """Back from a LimitExceeded back-off in the triggerer: look again, then create (or adopt)."""
        self._limit_attempt = limit_attempt
        return self.execute(context)

    def _adopt(self, request: dict[str, Any], description: dict[str, Any]) -> dict[str, Any]:
        spec = self.resource
        name, arn = request[spec.name_key], description[spec.arn_key]
        diffs = self.drift(request, description)
        if not diffs:
            self.log.info("Adopting existing %s %r (%s)", spec.label, name, arn)
            return description
        if self.update_if_changed and self.can_update(diffs):
            self.log.info("Updating %s %r (%s): %s changed", spec.label, name, arn, ", ".join(sorted(diffs)))
            self.update(arn, request, diffs)
            self._sent_update = True
            return self.hook.describe(spec, arn)
        details = "; ".join(
            f"field '{field}' is {_dump(actual)}, expected {_dump(expected)}"
            for field, (actual, expected) in sorted(diffs.items())
        )
        raise PersonalizeResourceDriftError(f"{spec.label} '{name}' was modified out of band: {details}")

    def created_description(self, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """
        What ``Describe*`` would answer right after the ``Create*`` call, without calling it: the request's fields,
        the response's (the ARN, an event tracker's tracking id) and the status every creation starts in.
        """
        spec = self.resource
        described = {**spec.defaults, **{k: v for k, v in request.items() if k not in _NEVER_COMPARED}}
        described.update({k: v for k, v in response.items() if k != "ResponseMetadata"})
        if spec.has_status:
            described["status"] = spec.initial_status
        return described

    def _find(self, request: dict[str, Any]) -> dict[str, Any] | None:
        return self.hook.find_by_name(
            self.resource, request[self.resource.name_key], self.list_parent(request),
            summary_hints=self.summary_hints(request),
        )

    def _found_beyond_parent(self, request: dict[str, Any], refusal: ClientError) -> dict[str, Any]:
        """Refused as existing, yet not under the parent listed: looked for without it; the refusal stands if it is
        not there either."""
        existing = self.hook.find_by_name(self.resource, request[self.resource.name_key])
        if existing is None:
            raise refusal
        return existing

    def _create_at_once(self, request: dict[str, Any]) -> tuple[dict[str, Any] | None, ClientError | None]:
        """``create_first``: one plain ``Create*`` call. Its response, or the refusal: whatever Personalize answers
        (the name exists after a retry or a re-run; busy, maybe with this very job started by an earlier try; or
        an error it checks before the name), the resource is then looked for, as without ``create_first``."""
        try:
            return getattr(self.hook.client, f"create_{self.resource.kind}")(**request), None
        except ClientError as error:
            self.log.info("Create %s %r answered %s: looking for it", self.resource.label,
                          request[self.resource.name_key], error_code(error))
            return None, error

    def create_or_adopt(self, context: Context) -> dict[str, Any]:
        """Return the description of the created or adopted resource."""
        spec = self.resource
        requests = list(self.candidate_requests(context))
        for index, request in enumerate(requests):
            name = request[spec.name_key]
            created, refused = self._create_at_once(request) if self.create_first else (None, None)
            existing = None
            if created is None:
                existing = self._find(request)
                if existing is None and refused is not None:
                    if error_code(refused) == "ResourceAlreadyExistsException":
                        existing = self._found_beyond_parent(request, refused)
                    elif error_code(refused) not in self.transient_create_errors:
                        raise refused  # not busy, and nothing of the name: the create's own error stands
                if existing is None:
                    try:
                        created = self._create(request, refused)
                    except ClientError as error:
                        if error_code(error) != "ResourceAlreadyExistsException":
                            raise
                        # Created concurrently, or it lives under another parent than the one listed.
                        return self._adopt(request, self._found_beyond_parent(request, error))
            if created is not None:
                self.log.info("Created %s %r: %s", spec.label, name, created[spec.arn_key])
                return self.created_description(request, created)
            assert existing is not None
            is_last = index == len(requests) - 1
            if spec.has_status and waiter_outcome(spec, existing) == "failure" and not is_last:
                self.log.warning(
                    "Previous %s %r failed (%s); starting a new one",
                    spec.label,
                    name,
                    failure_reason(spec, existing),
                )
                continue
            return self._adopt(request, existing)
        raise AssertionError("candidate_requests yielded nothing")  # pragma: no cover

    def execute(self, context: Context) -> dict[str, Any]:
        description = self.create_or_adopt(context)
        self.persist_link(context, description)
        return self.wait_until_active(context, description)


class PersonalizeJobOperator(PersonalizeCreateResourceOperator):
    """
    Create-or-adopt for jobs (import/export, solution version, batch inference/segment).

    Unless ``job_name`` is given, the name is ``<job_name_prefix>-<hash>`` where the hash covers
    the DAG, task, run, map index and the job definition: a retry of the same task instance finds
    and re-attaches to the job it started, and a new run (or a changed definition) gets a new job.
    When the job found has failed, up to ``max_job_attempts`` - 1 fresh jobs are started with an
    attempt suffix.

    :param job_name: Explicit job name (disables the derived name).
    :param job_name_prefix: Prefix of the derived name (default: the task id).
    :param max_job_attempts: Distinct jobs one task instance may start after failures. (default: 3)
    :param limit_exceeded_retry_delay: Initial back-off in seconds when Personalize answers
        ``LimitExceededException`` (too many concurrent jobs) or ``ResourceInUseException`` (e.g.
        another import into the same dataset is running); doubled each retry, max 15 min.
    :param limit_exceeded_max_retries: Retries of those errors before failing. (default: 5)
    """

    transient_create_errors = frozenset({"LimitExceededException", "ResourceInUseException"})
    create_first = True
    # OpenLineage: the attributes holding the job's input and output locations (S3 paths or Personalize ARNs).
    lineage_inputs: ClassVar[tuple[str, ...]] = ()
    lineage_outputs: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        job_name: str | None = None,
        job_name_prefix: str | None = None,
        max_job_attempts: int = 3,
        limit_exceeded_retry_delay: int = 60,
        limit_exceeded_max_retries: int = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_name = job_name
        self.job_name_prefix = job_name_prefix
        self.max_job_attempts = max_job_attempts
        self.limit_exceeded_retry_delay = limit_exceeded_retry_delay
        self.limit_exceeded_max_retries = limit_exceeded_max_retries

    def build_definition(self, context: Context) -> dict[str, Any]:
        """The ``Create*`` kwargs without the name."""
        raise NotImplementedError

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        """The job's inputs and outputs as OpenLineage datasets, from the rendered arguments it was sent with."""
        from personalize_provider.utils.lineage import operator_lineage

        return operator_lineage(
            (getattr(self, name) for name in self.lineage_inputs),
            (getattr(self, name) for name in self.lineage_outputs),
        )

    def build_request(self, context: Context) -> dict[str, Any]:
        return next(iter(self.candidate_requests(context)))

    def candidate_requests(self, context: Context) -> Iterator[dict[str, Any]]:
        definition = self.build_definition(context)
        name_key = self.resource.name_key
        if self.job_name:
            yield {name_key: self.job_name, **definition}
            return
        ti = context.get("ti")
        key = run_key(
            getattr(ti, "dag_id", None),
            getattr(ti, "task_id", self.task_id),
            context.get("run_id") or getattr(ti, "run_id", None),
            getattr(ti, "map_index", -1),
            {k: v for k, v in definition.items() if k not in _NEVER_COMPARED},
        )
        prefix = self.job_name_prefix or self.task_id
        for attempt in range(1, max(1, self.max_job_attempts) + 1):
            suffix = key if attempt == 1 else f"{key}-a{attempt}"
            yield {name_key: job_name(prefix, suffix), **definition}


class PersonalizeDeleteResourceOperator(PersonalizeBaseOperator):
    """
    Delete a Personalize resource and wait until it is gone (describe answers NotFound).

    A resource that does not exist counts as deleted. Subclasses set ``resource`` and
    ``arn_argument`` (the name of their templated ARN argument).
    """

    default_waiter_delay = 15
    links_resource = False

    def _deleted(self, arn: str) -> dict[str, Any]:
        return {"arn": arn, "status": "DELETED"}

    def execute(self, context: Context) -> dict[str, Any]:
        spec, arn = self.resource, self.resource_arn
        try:
            existed = self.hook.delete(spec, arn)
        except ClientError as error:
            if error_code(error) != "ResourceInUseException":
                raise
            current = self.hook.describe_or_none(spec, arn)
            if current is not None and not str(current.get("status", "")).startswith("DELETE"):
                raise PersonalizeResourceInUseError(
                    f"Cannot delete Personalize {spec.label} {arn} (status {current.get('status')!r}): "
                    f"{error.response['Error'].get('Message', error)}"
                ) from error
            existed = current is not None  # a deletion is already under way: just wait for it
        if not existed:
            self.log.info("Personalize %s %s does not exist; nothing to delete", spec.label, arn)
            return self._deleted(arn)
        self.log.info("Deleting Personalize %s %s", spec.label, arn)
        if not (self.wait_for_completion or self.deferrable):
            return {"arn": arn, "status": "DELETE PENDING"}
        if self.hook.describe_or_none(spec, arn) is None:
            return self._deleted(arn)
        if self.deferrable:
            self.defer(trigger=self._trigger(arn, "deleted"), method_name="execute_complete")
        self.hook.wait_deleted(spec, arn, self.waiter_delay, self.waiter_max_attempts)
        return self._deleted(arn)

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, target: str = "deleted"
    ) -> dict[str, Any]:
        validated_event = validate_execute_complete_event(event)
        arn = str(validated_event.get("resource_arn"))
        if validated_event.get("status") != "success":
            raise AirflowException(
                f"Error while deleting Personalize {self.resource.label} {arn}: "
                f"{validated_event.get('message', validated_event)}"
            )
        return self._deleted(arn)



class PersonalizeTransitionOperator(PersonalizeBaseOperator):
    """
    Move an existing resource to another state with one action call, and wait until it is there.

    Idempotent: a resource already in the target state, or on its way there, is only waited for; one in a state
    the action does not apply to fails with its status, except where the action is moot (``moot_statuses``: a
    training that already ended cannot be stopped, and need not be). Subclasses set ``resource``,
    ``arn_argument``, ``action`` (the client method), ``target`` and the status sets.
    """

    action: ClassVar[str]
    target: ClassVar[str]
    #: Statuses in which Personalize accepts the action.
    from_statuses: ClassVar[frozenset[str]]
    #: Statuses between the action and the target.
    on_the_way: ClassVar[frozenset[str]]
    moot_statuses: ClassVar[frozenset[str]] = frozenset()

    def execute(self, context: Context) -> dict[str, Any]:
        spec, arn = self.resource, self.resource_arn
        description = self.hook.describe(spec, arn)
        status = description.get("status")
        goal = self._goal(self.target)
        if status in self.from_statuses:
            self.log.info("%s: Personalize %s %s is %s", self.action, spec.label, arn, status)
            getattr(self.hook.client, self.action)(**{spec.arn_key: arn})
            description = self.hook.describe(spec, arn)
        elif status in self.moot_statuses:
            self.log.info("Personalize %s %s is %s: nothing to %s", spec.label, arn, status, self.action)
            return self.xcom_value(description)
        elif status not in self.on_the_way and waiter_outcome(spec, description, self.target) != "success":
            raise PersonalizeResourceInUseError(
                f"Cannot {self.action.replace('_', ' ')} Personalize {spec.label} {arn}: its status is "
                f"{status!r}, expected one of {sorted(self.from_statuses | self.on_the_way | {goal})}"
            )
        self.persist_link(context, description)
        return self.wait_until_active(context, description, self.target)


def prune(request: dict[str, Any]) -> dict[str, Any]:
    """Drop None values (recursively) so optional arguments are simply not sent."""
    pruned: dict[str, Any] = {}
    for key, value in request.items():
        if isinstance(value, dict):
            value = prune(value)
            if not value:
                continue
        if value is not None:
            pruned[key] = value
    return pruned
