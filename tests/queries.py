"""Counting the queries of a page, with cms's content cache empty (the first view after an editor
publishes) and filled (every other view): both must stay bounded whatever the amount of data."""

from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms import content_cache


@dataclass(frozen=True)
class PageQueries:
    cold: int  # content cache just emptied
    warm: int  # the same page again


def count_queries(client, url: str, *, method: str = "get") -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def page_queries(client, url: str) -> PageQueries:
    content_cache.content_changed()
    cold = count_queries(client, url)
    return PageQueries(cold=cold, warm=count_queries(client, url))
