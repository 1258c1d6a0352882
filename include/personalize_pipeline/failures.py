"""A broken data rule, in the words a person needs to fix it: what, seen, wanted, where."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleFailure:
    dataset: str
    rule: str
    observed: str
    expected: str
    where: str = ""


class DataFileError(ValueError):
    """A file that cannot be read as the rules need it (missing, not UTF-8, not well-formed CSV)."""

    def __init__(self, failure: RuleFailure) -> None:
        super().__init__(f"{failure.dataset}: {failure.rule}: observed {failure.observed}, expected {failure.expected}"
                         f" ({failure.where})")
        self.failure = failure
