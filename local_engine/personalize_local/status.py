"""Lifecycle states of Personalize resources and jobs, as DescribeX shows them.

The lowest layer: the backend sets them, the workers move jobs through them and the runtime checks them, so
they live apart from all three.
"""

PENDING = "CREATE PENDING"
IN_PROGRESS = "CREATE IN_PROGRESS"
ACTIVE = "ACTIVE"
FAILED = "CREATE FAILED"
STOPPING = "CREATE STOPPING"
STOPPED = "CREATE STOPPED"
INACTIVE = "INACTIVE"  # a stopped recommender
UNFINISHED = (PENDING, IN_PROGRESS, STOPPING)

# A recommender stopped (billing paused) and started again: each a short job through its own statuses.
STOP_PENDING, STOP_IN_PROGRESS = "STOP PENDING", "STOP IN_PROGRESS"
START_PENDING, START_IN_PROGRESS = "START PENDING", "START IN_PROGRESS"
#: job kind -> (pending, in progress, done)
TRANSITIONS = {
    "RecommenderStop": (STOP_PENDING, STOP_IN_PROGRESS, INACTIVE),
    "RecommenderStart": (START_PENDING, START_IN_PROGRESS, ACTIVE),
}
