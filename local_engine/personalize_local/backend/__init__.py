"""The backend (as in moto's service backends): Personalize's state and the typed methods that change it.

It knows nothing of HTTP, botocore models or job execution: the responses layer (responses.py) validates
requests and shapes answers around it, the workers (workers/) run the jobs it submits through `jobs`.
"""

from .kinds import KINDS, Kind
from .resources import Backend
from .state import BackendState, JobQueue

__all__ = ["KINDS", "Backend", "BackendState", "JobQueue", "Kind"]
