"""The profile page: every field editable, RPPS validated, presentation text sanitised."""

import pytest

from accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def profile_data(**overrides) -> dict:
    data = {
        "first_name": "Karim",
        "last_name": "Haddad",
        "profession": "physician",
        "level": "establishment",
        "organisation": "CHU de Rennes",
        "language": "fr",
        "region": "Bretagne",
        "rpps": "10101234564",
        "interests": "parcours patients, coopération ville-hôpital",
        "bio": "<p>Chef du pôle <strong>urgences</strong>.</p>",
        "in_directory": "on",
        "share_organisation": "on",
        "share_region": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_profile_saves_every_field_including_directory_choices(client):
    user = make_user()
    client.force_login(user)
    response = client.post("/accounts/profile/", profile_data())
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.profession, user.level, user.organisation, user.region) == (
        "Karim", "physician", "establishment", "CHU de Rennes", "Bretagne",
    )
    assert user.rpps == "10101234564"
    assert user.in_directory and user.share_organisation and user.share_region
    assert not user.share_level and not user.share_interests
    assert user.bio == "<p>Chef du pôle <strong>urgences</strong>.</p>"


def test_rpps_with_spaces_is_accepted_and_stored_as_digits(client):
    user = make_user()
    client.force_login(user)
    client.post("/accounts/profile/", profile_data(rpps="101 0123 4564"))
    user.refresh_from_db()
    assert user.rpps == "10101234564"


@pytest.mark.parametrize("rpps", ["1234", "1010123456A", "123456789012"])
def test_malformed_rpps_is_refused_and_nothing_changes(client, rpps):
    user = make_user(organisation="CH de Vitré")
    client.force_login(user)
    response = client.post("/accounts/profile/", profile_data(rpps=rpps, organisation="Changé"))
    assert response.status_code == 400
    assert "11 chiffres" in response.content.decode()
    user.refresh_from_db()
    assert user.rpps == "" and user.organisation == "CH de Vitré"


@pytest.mark.parametrize("field", ["first_name", "last_name", "profession", "level", "organisation"])
def test_required_profile_field_left_empty_is_refused(client, field):
    user = make_user()
    client.force_login(user)
    response = client.post("/accounts/profile/", profile_data(**{field: ""}))
    assert response.status_code == 400
    assert response.context["form"].errors.get(field)
    user.refresh_from_db()
    assert getattr(user, field) != ""


def test_presentation_text_is_sanitised_before_it_is_stored(client):
    user = make_user()
    client.force_login(user)
    client.post(
        "/accounts/profile/",
        profile_data(bio='<p onclick="x()">Bonjour</p><script>alert(1)</script><a href="javascript:alert(1)">lien</a>'),
    )
    user.refresh_from_db()
    assert "<script" not in user.bio and "onclick" not in user.bio and "javascript:" not in user.bio
    assert "Bonjour" in user.bio


def test_a_person_edits_only_their_own_profile(client):
    me, other = make_user(), make_user(organisation="ARS Bretagne")
    client.force_login(me)
    client.post("/accounts/profile/", profile_data(organisation="Piraté"))
    other.refresh_from_db()
    assert other.organisation == "ARS Bretagne"
    assert User.objects.get(pk=me.pk).organisation == "Piraté"


def test_profile_page_query_count_is_bounded(client, django_assert_max_num_queries):
    user = make_user()
    client.force_login(user)
    for _ in range(20):
        make_user()
    with django_assert_max_num_queries(8):
        assert client.get("/accounts/profile/").status_code == 200
