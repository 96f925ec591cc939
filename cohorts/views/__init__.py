"""cohorts views: cohort features in cohorts.py, room messaging in rooms.py; re-exported here."""

from cohorts.views.cohorts import *  # noqa: F401,F403
from cohorts.views.rooms import *  # noqa: F401,F403
