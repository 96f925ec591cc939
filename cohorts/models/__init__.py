"""Models of the cohorts app: core (cohorts, memberships, groups, communities, rooms),
cohort features (invitations, schedule, announcements…) and room messages."""

from cohorts.models.core import *  # noqa: F401,F403
from cohorts.models.cohorts import *  # noqa: F401,F403
from cohorts.models.rooms import *  # noqa: F401,F403
