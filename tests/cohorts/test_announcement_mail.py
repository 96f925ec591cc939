"""Announcement e-mails: the plain-text part is real text, the HTML part the sanitised body (issue 12, #27)."""

import pytest
from django.core import mail

from cohorts.services import announcement_send
from config.sanitize import html_to_text
from tests.factories_cohorts import make_cohort

pytestmark = pytest.mark.django_db


def test_html_to_text_decodes_entities_and_keeps_paragraphs_and_items():
    html = "<p>R&amp;D &lt;3</p><ul><li>un</li><li>deux</li></ul><p>fin<br>ligne</p>"
    assert html_to_text(html) == "R&D <3\n\n- un\n- deux\n\nfin\nligne"
    assert html_to_text("<p>a</p><script>alert(1)</script>") == "a"


def test_an_announcement_mail_reads_r_and_d_and_heart_as_typed_in_both_parts(django_capture_on_commit_callbacks):
    cohort = make_cohort(learners=1)
    facilitator = cohort.memberships.get(role="facilitator").user
    with django_capture_on_commit_callbacks(execute=True):
        announcement_send(
            cohort=cohort, author=facilitator, subject="Point R&D",
            body="La cellule R&D vous salue <3\n\nÀ jeudi <script>alert(1)</script>",
        )
    (message,) = mail.outbox
    assert "La cellule R&D vous salue <3" in message.body
    assert "&amp;" not in message.body and "&lt;" not in message.body
    # What the facilitator typed is text, not markup: shown as typed, never as a tag in the HTML part.
    assert "À jeudi <script>alert(1)</script>" in message.body
    assert message.subject.endswith("Point R&D")
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert "La cellule R&amp;D vous salue &lt;3" in html  # escaped once, as HTML must be
    assert "<script" not in html and "&lt;script&gt;" in html and "&amp;amp;" not in html
