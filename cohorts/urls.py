app_name = "cohorts"

# Cohort features and room messaging keep their own URL lists.
from cohorts.urls_cohorts import urlpatterns as cohort_urlpatterns  # noqa: E402
from cohorts.urls_rooms import urlpatterns as room_urlpatterns  # noqa: E402

urlpatterns = [*cohort_urlpatterns, *room_urlpatterns]
