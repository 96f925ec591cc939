"""cohorts services: cohort features in cohorts.py, room messaging in rooms.py; re-exported here."""

from cohorts.services.cohorts import *  # noqa: F401,F403
from cohorts.services.rooms import *  # noqa: F401,F403
