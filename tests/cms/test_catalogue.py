"""The catalogue: filters by profession, level, competency and duration, at a bounded query cost."""

import pytest

from tests.factories import make_user
from tests.factories_cms import make_case, make_module, make_programme
from tests.queries import page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def programmes():
    return {
        "cooperation": make_programme(
            title="Coopérer en GHT", professions=("director", "physician"), levels=("establishment",),
            competencies=("cooperation",), hours=6,
        ),
        "pathway": make_programme(
            title="Parcours ville-hôpital", professions=("nurse", "regulator"), levels=("region", "team"),
            competencies=("patient-pathway", "data-informed-decisions"), hours=14,
        ),
        "long": make_programme(
            title="Diriger un pôle", professions=("physician", "nurse"), levels=("establishment",),
            competencies=("team-coaching",), hours=35,
        ),
    }


def titles(client, **params) -> list[str]:
    response = client.get("/catalogue/", params)
    assert response.status_code == 200
    return [p.title for p in response.context["programmes"]]


def test_the_catalogue_lists_every_live_programme(client, programmes):
    make_programme(title="Brouillon", live=False)
    assert titles(client) == ["Coopérer en GHT", "Parcours ville-hôpital", "Diriger un pôle"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"profession": "physician"}, ["Coopérer en GHT", "Diriger un pôle"]),
        ({"profession": "regulator"}, ["Parcours ville-hôpital"]),
        ({"level": "region"}, ["Parcours ville-hôpital"]),
        ({"competency": "data-informed-decisions"}, ["Parcours ville-hôpital"]),
        ({"duration": "short"}, ["Coopérer en GHT"]),
        ({"duration": "medium"}, ["Parcours ville-hôpital"]),
        ({"duration": "long"}, ["Diriger un pôle"]),
        ({"profession": "nurse", "level": "establishment"}, ["Diriger un pôle"]),
        ({"profession": "director", "duration": "long"}, []),
    ],
)
def test_each_filter_narrows_the_list(client, programmes, params, expected):
    assert titles(client, **params) == expected


def test_an_unknown_filter_value_shows_an_error_and_the_whole_list(client, programmes):
    response = client.get("/catalogue/", {"profession": "astronaut"})
    assert response.status_code == 200
    assert len(response.context["programmes"]) == 3
    assert "errorlist" in response.content.decode()


def test_the_filter_form_works_without_javascript(client, programmes):
    html = client.get("/catalogue/").content.decode()
    assert 'method="get"' in html and 'type="submit"' in html
    assert '<label for="id_profession">' in html


def test_the_catalogue_costs_the_same_few_queries_with_3_or_30_programmes(client):
    client.force_login(make_user())
    for n in range(3):
        make_programme(title=f"Programme {n}", competencies=("cooperation", "problem-solving"))
    client.get("/catalogue/")
    few = page_queries(client, "/catalogue/")
    for n in range(27):
        make_programme(title=f"Programme bis {n}", competencies=("cooperation",))
    many = page_queries(client, "/catalogue/")
    assert many == few
    assert few.warm <= 10 and few.cold <= 16


def test_programme_and_module_pages_cost_the_same_few_queries_with_2_or_12_modules(client):
    programme = make_programme()
    module = make_module(programme=programme)
    make_case(module=module)
    client.force_login(make_user())
    client.get(programme.url)
    few = (page_queries(client, programme.url), page_queries(client, module.url))
    for _ in range(10):
        make_case(module=make_module(programme=programme), body=[])
        make_case(module=module, body=[])
    many = (page_queries(client, programme.url), page_queries(client, module.url))
    assert many == few
    assert max(q.warm for q in many) <= 6 and max(q.cold for q in many) <= 17  # cold 17 since the issue 12 merges; what matters is many == few


def test_the_programme_page_shows_audience_hours_and_the_dpc_block(client):
    programme = make_programme(
        hours=21, dpc_action_number="12345678901", dpc_organisation_number="1234", dpc_action_kind="FC",
        dpc_orientation="Coopération et coordination des parcours",
    )
    html = client.get(programme.url).content.decode()
    assert "21 h" in html and "Développement professionnel continu" in html and "12345678901" in html
    assert "Région (ARS)" in html and "Médecin" in html and "Coopération" in html
    plain = make_programme()
    assert "Développement professionnel continu" not in client.get(plain.url).content.decode()


def test_the_home_page_shows_programmes_and_leads_to_the_catalogue(client, programmes):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/catalogue/"' in html and "Coopérer en GHT" in html
