"""cohorts selectors: cohort features in cohorts.py, room messaging in rooms.py; re-exported here."""

from cohorts.selectors.cohorts import *  # noqa: F401,F403
from cohorts.selectors.rooms import *  # noqa: F401,F403
