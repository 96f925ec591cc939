"""Room insights for facilitators (issue 12, defect 15): shares drawn as bars on one stated scale
(equal bars, equal shares; CSP-safe SVG, no inline style), counts in the singular when there is one,
percentages as the rest of the site writes them."""

import pytest
from django.urls import reverse

from accounts.choices import Profession
from cohorts.models import CohortMembership
from rooms.selectors import INSIGHTS_BAR_WIDTH, insights_table, message_counts_by_author, room_insights
from rooms.services import message_delete
from tests.rooms.factories import add_member, make_cohort, make_cohort_room, post

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def _room(spec):
    cohort = make_cohort()
    room = make_cohort_room(cohort=cohort)
    facilitator = add_member(cohort, role=CohortMembership.Role.FACILITATOR, profession=Profession.NURSE)
    for profession, messages in spec.items():
        author = add_member(cohort, profession=profession)
        for i in range(messages):
            post(room, author, f"Message {i}")
    return cohort, room, facilitator


def test_equal_shares_draw_equal_bars_on_a_round_scale():
    _cohort, room, _facilitator = _room({Profession.DIRECTOR: 3, Profession.PHYSICIAN: 3, Profession.REGULATOR: 4})
    table = insights_table(room_insights(room=room))
    bars = {row["code"]: row for row in table["rows"]}
    assert table["bar_scale"] == 50  # the largest share is 40 %
    assert bars["director"]["width"] == bars["physician"]["width"] == round(INSIGHTS_BAR_WIDTH * 30 / 50)
    assert bars["regulator"]["width"] == round(INSIGHTS_BAR_WIDTH * 40 / 50) < INSIGHTS_BAR_WIDTH


def test_the_page_pluralises_counts_and_states_the_scale(client):
    _cohort, room, facilitator = _room({Profession.DIRECTOR: 1})
    client.force_login(facilitator)
    page = client.get(reverse("rooms:room_insights", args=[room.pk])).content.decode()
    assert "1</p><p class=\"muted\">message publié</p>" in page
    assert "messages publiés" not in page
    assert f"une barre pleine vaut 100{NBSP}% des messages" in page and f"<span>100{NBSP}%</span>" in page
    assert 'class="insights-bar"' in page and "style=" not in page[page.index("<main"):]


def test_deleted_messages_do_not_count_as_participation():
    cohort, room, _facilitator = _room({})
    author = add_member(cohort, profession=Profession.DIRECTOR)
    post(room, author, "Gardé")
    removed = post(room, author, "Retiré")
    message_delete(room=room, seq=removed.seq, user=author)
    assert message_counts_by_author(cohort_id=cohort.pk) == {author.pk: 1}
