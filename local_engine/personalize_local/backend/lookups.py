"""Lookups shared by the backend's per-kind methods (creates, updates, catalog), over the backend state."""

from __future__ import annotations

from ..errors import AlreadyExists, InUse
from ..status import ACTIVE
from .kinds import KINDS, Record
from .state import BackendState


class ResourceBase(BackendState):
    def _unique(self, kind: str, arn: str, name: str) -> None:
        if self.store.get(arn) is not None:
            raise AlreadyExists(f"A {KINDS[kind].label} named {name} already exists: {arn}")

    def _require(self, arn: str, kind: str) -> Record:
        return self.store.require(arn, kind, KINDS[kind].label)

    def _require_active(self, arn: str, kind: str) -> Record:
        record = self._require(arn, kind)
        if record.get("status") != ACTIVE:
            raise InUse(f"{KINDS[kind].label} {arn} is {record.get('status')}, not ACTIVE")
        return record

    def _group_data_time(self, group_arn: str) -> float:
        return max((float(d.get("_dataTime", 0)) for d in self.store.records("Dataset", group_arn)), default=0.0)

    def _latest_version(self, solution_arn: str) -> Record | None:
        versions = self.store.records("SolutionVersion", solution_arn)
        return versions[0] if versions else None
