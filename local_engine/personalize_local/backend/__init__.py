"""Control-plane operations over all Personalize resource kinds."""

from .kinds import KINDS, Kind
from .operations import Operations

__all__ = ["KINDS", "Kind", "Operations"]
