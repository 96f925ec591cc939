"""xAPI 1.0.3 statements of the learning records, checked against the required fields of the
specification (xAPI-Spec, Part Two "Experience API Data", §2.4 Statement Properties), downloadable
by administrators only."""

import base64
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from cms.models import Competency
from lms import services, xapi
from tests.factories import make_user
from tests.factories_lms import complete_case, make_course
from tests.servers import free_port, port_range_from_env

pytestmark = pytest.mark.django_db

IRI = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$", re.I)
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def _language_map(value):
    assert isinstance(value, dict) and value
    assert all(LANGUAGE_TAG.match(key) and isinstance(text, str) for key, text in value.items())


def _agent(agent):
    # §2.4.2.1: an Agent has exactly one Inverse Functional Identifier; an account has homePage and name.
    assert agent.get("objectType", "Agent") == "Agent"
    assert [key for key in IFIS if key in agent] in (["mbox"], ["mbox_sha1sum"], ["openid"], ["account"])
    if "account" in agent:
        assert IRI.match(agent["account"]["homePage"]) and isinstance(agent["account"]["name"], str)
        assert agent["account"]["name"]
    if "mbox" in agent:
        assert agent["mbox"].startswith("mailto:")


def _activity(activity):
    # §2.4.4.1: an Activity has an IRI id; its definition's name and description are language maps.
    assert activity.get("objectType", "Activity") == "Activity"
    assert IRI.match(activity["id"])
    definition = activity.get("definition", {})
    if "name" in definition:
        _language_map(definition["name"])
    if "type" in definition:
        assert IRI.match(definition["type"])


def validate_statement(statement):
    """The required fields and formats of an xAPI 1.0.3 Statement."""
    assert {"actor", "verb", "object"} <= set(statement)
    assert set(statement) <= {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored",
                              "authority", "version", "attachments"}
    if "id" in statement:
        assert str(uuid.UUID(statement["id"])) == statement["id"].lower()
    _agent(statement["actor"])
    assert IRI.match(statement["verb"]["id"])
    if "display" in statement["verb"]:
        _language_map(statement["verb"]["display"])
    _activity(statement["object"])
    if "result" in statement:
        result = statement["result"]
        assert set(result) <= {"score", "success", "completion", "response", "duration", "extensions"}
        if "score" in result:
            score = result["score"]
            assert -1 <= score.get("scaled", 0) <= 1
            if "raw" in score:
                assert score.get("min", score["raw"]) <= score["raw"] <= score.get("max", score["raw"])
        for key in ("success", "completion"):
            assert isinstance(result.get(key, True), bool)
        assert all(IRI.match(key) for key in result.get("extensions", {}))
    if "context" in statement:
        for activities in statement["context"].get("contextActivities", {}).values():
            assert isinstance(activities, list)
            for activity in activities:
                _activity(activity)
    if "timestamp" in statement:
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", statement["timestamp"])
    assert statement.get("version", "1.0.3").startswith("1.0.")


@pytest.fixture
def course():
    course = make_course()
    course.programme.competencies.set(list(Competency.objects.filter(locale__language_code="fr", slug="cooperation")))
    course.programme.save()
    return course


def learner_with_every_record(course, **fields):
    learner = make_user(**fields)
    services.enrolment_create(user=learner, programme=course.programme)
    services.self_assessment_submit(user=learner, programme=course.programme, moment="before", levels={"cooperation": "2"})
    complete_case(user=learner, course=course)
    services.page_mark_done(user=learner, page=course.lesson)
    return learner


def test_every_kind_of_record_becomes_a_valid_statement_and_the_email_never_leaves(course):
    learner = learner_with_every_record(course, email="claire.dumont@example.org")
    statements = list(xapi.programme_statements(programme=course.programme))
    for statement in statements:
        validate_statement(statement)
    verbs = sorted({s["verb"]["id"].rsplit("/", 1)[1] for s in statements})
    assert verbs == ["answered", "completed", "passed", "registered", "responded"]
    # registered, programme completed, 2 pages completed, 2 decisions, 1 quiz passed, 1 reflection, 1 self-assessment
    assert len(statements) == 9
    assert "claire.dumont@example.org" not in json.dumps(statements)
    assert {s["actor"]["account"]["name"] for s in statements} == {str(learner.pk)}
    assert "Ma réflexion" not in json.dumps(statements)  # what a reflection says stays on the platform


def test_statement_ids_are_stable_from_one_export_to_the_next(course):
    learner_with_every_record(course)
    first = [s["id"] for s in xapi.programme_statements(programme=course.programme)]
    assert first == [s["id"] for s in xapi.programme_statements(programme=course.programme)]
    assert len(set(first)) == len(first)


def test_the_institution_may_choose_the_email_as_the_actor(course, settings):
    settings.XAPI_ACTOR_EMAIL = True
    learner_with_every_record(course, email="ines.roux@example.org")
    statement = next(xapi.programme_statements(programme=course.programme))
    validate_statement(statement)
    assert statement["actor"] == {"objectType": "Agent", "mbox": "mailto:ines.roux@example.org"}


def test_the_export_reads_a_fixed_number_of_queries(course):
    learner_with_every_record(course)
    with CaptureQueriesContext(connection) as one:
        list(xapi.programme_statements(programme=course.programme))
    for _ in range(3):
        learner_with_every_record(course)
    with CaptureQueriesContext(connection) as four:
        statements = list(xapi.programme_statements(programme=course.programme))
    assert len(statements) == 36 and len(four) == len(one)


def test_only_administrators_download_the_statements(client, course):
    learner_with_every_record(course)
    url = f"/admin/outcomes/?programme={course.programme.pk}&format=xapi"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    owner = make_user(roles=(Role.EDITOR,))
    group, _new = Group.objects.get_or_create(name="Responsables de programme")
    group.permissions.add(Permission.objects.get(codename="view_outcomes"), Permission.objects.get(codename="access_admin"))
    owner.groups.add(group)
    client.force_login(owner)  # reads the report's figures, but not per-person statements
    assert client.get(url).status_code in (302, 403)
    client.force_login(make_user(roles=(Role.ADMIN,), is_superuser=True, is_staff=True))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    statements = json.loads(response.content)
    assert len(statements) == 9
    for statement in statements:
        validate_statement(statement)


# --- Sending to a learning record store (a real HTTP server on this machine) -------------------


class _LRS(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 — http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "statements": json.loads(body)})
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *args):
        pass


@pytest.fixture
def lrs(settings):
    _LRS.received, _LRS.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", free_port(port_range_from_env())), _LRS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.XAPI_LRS_URL = f"http://127.0.0.1:{server.server_port}/xapi/"
    settings.XAPI_LRS_KEY, settings.XAPI_LRS_SECRET = "passerelles", "s3cret"
    yield _LRS
    server.shutdown()
    server.server_close()


def test_an_administrator_sends_the_statements_to_the_lrs_through_the_task_queue(
    client, course, lrs, django_capture_on_commit_callbacks
):
    learner_with_every_record(course)
    client.force_login(make_user(roles=(Role.ADMIN,), is_superuser=True, is_staff=True))
    url = f"/admin/outcomes/?programme={course.programme.pk}"
    assert "Envoyer les traces xAPI" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url)
    assert response.status_code == 302 and lrs.received == []  # queued after the request, never inside it
    for callback in callbacks:
        callback()  # the immediate tasks backend runs the task here
    [batch] = lrs.received
    assert batch["path"] == "/xapi/statements"
    assert batch["headers"]["x-experience-api-version"] == "1.0.3"
    assert batch["headers"]["authorization"] == "Basic " + base64.b64encode(b"passerelles:s3cret").decode()
    assert len(batch["statements"]) == 9
    for statement in batch["statements"]:
        validate_statement(statement)


def test_an_lrs_failure_fails_the_task_not_the_request(course, lrs, django_capture_on_commit_callbacks, caplog):
    lrs.status = 500
    learner_with_every_record(course)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        xapi.lrs_push_enqueue(programme=course.programme)
    # The immediate backend cannot run a task later: one attempt, whose failure is the task's and is
    # logged (the database worker in production queues attempts 2 to 5 after RETRY_DELAYS instead).
    callbacks[0]()
    assert len(lrs.received) == 1
    assert "attempt 1 of 5: given up" in caplog.text
    result = xapi.xapi_push.enqueue(programme_id=course.programme.pk)
    assert result.status == "FAILED" and len(lrs.received) == 2


def test_nobody_but_an_administrator_may_send_and_nothing_is_sent_without_an_lrs(client, course, lrs, settings):
    learner_with_every_record(course)
    url = f"/admin/outcomes/?programme={course.programme.pk}"
    client.force_login(make_user(roles=(Role.EDITOR,)))
    assert client.post(url).status_code in (302, 403)
    settings.XAPI_LRS_URL = ""
    client.force_login(make_user(roles=(Role.ADMIN,), is_superuser=True, is_staff=True))
    assert "Envoyer les traces xAPI" not in client.get(url).content.decode()
    assert client.post(url).status_code in (302, 403)  # Wagtail's admin turns a refusal into a redirect
    assert lrs.received == []


# --- Activity ids resolve -------------------------------------------------------------------


def test_every_activity_id_of_the_export_redirects_to_the_page_s_current_url(client, course, settings):
    settings.SITE_URL = "http://testserver"
    learner_with_every_record(course)
    ids = set()
    for statement in xapi.programme_statements(programme=course.programme):
        ids.add(statement["object"]["id"])
        ids.update(a["id"] for a in statement.get("context", {}).get("contextActivities", {}).get("grouping", []))
    pages = {course.programme.pk: course.programme, course.case.pk: course.case, course.lesson.pk: course.lesson}
    assert len(ids) >= 5
    for activity_id in ids:
        page_id = int(activity_id.removeprefix("http://testserver/xapi/activities/pages/").split("/")[0])
        response = client.get(activity_id.removeprefix("http://testserver"))
        assert response.status_code == 302, activity_id
        assert response["Location"] == pages[page_id].url
    # The id survives a new slug: it now leads to the new URL.
    course.case.slug = "nouveau-nom"
    course.case.save_revision().publish()
    response = client.get(f"/xapi/activities/pages/{course.case.pk}")
    assert response.status_code == 302 and response["Location"].endswith("/nouveau-nom/")


def test_an_unknown_unpublished_or_restricted_page_is_a_404_that_names_nothing(client, course):
    from wagtail.models import Page, PageViewRestriction

    assert client.get("/xapi/activities/pages/999999").status_code == 404
    course.lesson.unpublish()
    response = client.get(f"/xapi/activities/pages/{course.lesson.pk}/quiz")
    assert response.status_code == 404 and course.lesson.slug.encode() not in response.content
    PageViewRestriction.objects.create(page=Page.objects.get(pk=course.case.pk), restriction_type="login")
    response = client.get(f"/xapi/activities/pages/{course.case.pk}")
    assert response.status_code == 404 and course.case.slug.encode() not in response.content
