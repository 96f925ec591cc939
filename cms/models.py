"""Wagtail page types and snippets: what editors publish.

HomePage → CataloguePage → ProgrammePage → ModulePage → CaseStudyPage | LessonPage.
cms knows nothing of lms or cohorts: they add learner state through `cms.access` (hook
`case_state`) and learner records to case and lesson pages through the hook
`case_page_context`, called as `fn(request, page, state, context)`. A hook may set in
`context`: `block_actions` ({block id: URL}) where answers are posted, `records` ({block id:
dict}) with what the learner already recorded (`choice`, `rationale`, `distribution`,
`choices`, `text`, `detail_url`, `fields`, `print_url`), and `case_room_url`.
"""

from django.conf import settings
from django.http import Http404
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Locale, Page, PageViewRestriction, TranslatableMixin
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from accounts.choices import Level
from accounts.choices import Profession as ProfessionCode
from cms import content_cache
from cms.admin_forms import LocalizedPageForm
from cms.blocks import RICH_TEXT_FEATURES, CaseBodyBlock, LessonBodyBlock
from cms.fields import LevelListField

CASE_PAGE_CONTEXT_HOOK = "case_page_context"


class Profession(TranslatableMixin, models.Model):
    """A profession of the framework, as editors describe it; `code` ties it to user profiles."""

    code = models.CharField(_("code"), max_length=20, choices=ProfessionCode.choices)
    name = models.CharField(_("nom"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    panels = [FieldPanel("code"), FieldPanel("name"), FieldPanel("description")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("métier")
        verbose_name_plural = _("métiers")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["code", "locale"], name="unique_profession_code_per_locale")]

    def __str__(self) -> str:
        return self.name


class Competency(TranslatableMixin, models.Model):
    """A competency of the framework (cooperation, project management, conflict management…), with
    the four-level scale learners place themselves on in the self-assessment: each level anchored
    by a description of what someone at that level does. Translated like every snippet: the
    English version is the same competency (same `slug`) in the English locale."""

    SCALE = (1, 2, 3, 4)

    slug = models.SlugField(_("identifiant"), max_length=60)
    name = models.CharField(_("nom"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    anchor_1 = models.CharField(
        _("niveau 1 : je découvre"), max_length=300, blank=True,
        help_text=_("Ce que fait une personne à ce niveau, en une phrase concrète."),
    )
    anchor_2 = models.CharField(_("niveau 2 : je pratique avec de l'aide"), max_length=300, blank=True)
    anchor_3 = models.CharField(_("niveau 3 : je pratique seul·e"), max_length=300, blank=True)
    anchor_4 = models.CharField(_("niveau 4 : je fais progresser les autres"), max_length=300, blank=True)

    panels = [
        FieldPanel("slug"), FieldPanel("name"), FieldPanel("description"),
        MultiFieldPanel(
            [FieldPanel("anchor_1"), FieldPanel("anchor_2"), FieldPanel("anchor_3"), FieldPanel("anchor_4")],
            heading=_("Échelle d'auto-positionnement"),
            help_text=_("Les apprenant·es se situent sur ces quatre niveaux avant, à la fin et trois mois après un programme."),
        ),
    ]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("compétence")
        verbose_name_plural = _("compétences")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["slug", "locale"], name="unique_competency_slug_per_locale")]

    def __str__(self) -> str:
        return self.name

    @property
    def anchors(self) -> list[tuple[int, str]]:
        """(level, description) for the four levels; a level without a description says its name."""
        return [
            (level, getattr(self, f"anchor_{level}") or str(self._meta.get_field(f"anchor_{level}").verbose_name))
            for level in self.SCALE
        ]


class FeedbackForm(TranslatableMixin, models.Model):
    """The short survey learners answer at the end of a module, as editors word it: two ratings from
    1 to 5 (usefulness, relevance to the job) and two free answers (what I will change, anything else).
    A module uses it when its "feedback form" field names it."""

    name = models.CharField(_("nom"), max_length=120, help_text=_("Pour vous y retrouver dans l'admin."))
    intro = models.TextField(_("introduction"), blank=True)
    usefulness_question = models.CharField(
        _("question : utilité"), max_length=200, default=_("Ce module vous a-t-il été utile ?"))
    relevance_question = models.CharField(
        _("question : lien avec le métier"), max_length=200, default=_("Ce module est-il en rapport avec votre métier ?"))
    change_question = models.CharField(
        _("question : ce que je vais changer"), max_length=200,
        default=_("Qu'allez-vous changer dans votre pratique après ce module ?"))
    comment_question = models.CharField(
        _("question libre"), max_length=200, default=_("Autre chose à dire à l'équipe pédagogique ?"))

    panels = [FieldPanel("name"), FieldPanel("intro"), FieldPanel("usefulness_question"),
              FieldPanel("relevance_question"), FieldPanel("change_question"), FieldPanel("comment_question")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("questionnaire de fin de module")
        verbose_name_plural = _("questionnaires de fin de module")

    def __str__(self) -> str:
        return self.name


register_snippet(Profession)
register_snippet(Competency)
register_snippet(FeedbackForm)


class CachedContentMixin:
    """What every page type of ours takes from the content cache (`cms.content_cache`), and its
    admin form (snippet choices in the page's language: `cms.admin_forms`)."""

    base_form_class = LocalizedPageForm

    def get_view_restrictions(self):
        """Wagtail checks view restrictions with two queries on every page served; most pages have
        none, which the content cache knows without asking the database."""
        if not content_cache.view_restriction_may_apply(self):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    def cached_context(self, request, build) -> dict:
        """`build()` (context entries that only editors change) once per content generation;
        previews show the revision being edited, so they always build."""
        if getattr(request, "is_preview", False):
            return build()
        return content_cache.cached("page-context", (self.pk, translation.get_language()), build)


class HomePage(CachedContentMixin, Page):
    """The root of the site in one language: a welcome text and the way to the catalogue."""

    intro = RichTextField(
        _("introduction"), features=RICH_TEXT_FEATURES, blank=True,
        help_text=_("Quelques phrases d'accueil, affichées au-dessus des programmes."),
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.CataloguePage"]
    max_count_per_parent = 1
    template = "cms/home_page.html"

    class Meta:
        verbose_name = _("page d'accueil")

    def route(self, request, path_components):
        """Find the page and its ancestors from the content cache (one query per URL and content
        generation), not one query per level.

        The ancestors are kept on the page (`breadcrumb_ancestors`) for the breadcrumbs. A reader
        whose language has its own home page but no translation of the requested page is served
        the page in the default language (the catalogue falls back to French likewise).
        """
        if not path_components:
            return super().route(request, path_components)
        found = content_cache.route_chain(self, tuple(path_components))
        if found is not None:
            ancestors, target = found
            target.breadcrumb_ancestors = ancestors
            return target.route(request, [])
        try:
            return super().route(request, path_components)
        except Http404:
            default = Locale.get_default()
            if self.locale_id == default.pk:
                raise
            fallback = self.get_translation_or_none(default)
            if fallback is None:
                raise
            return fallback.specific.route(request, path_components)

    @property
    def localized(self):
        """This home page in the active language (specific), from the content cache: Wagtail asks it
        on every page request (`site.root_page.localized` in `Page.route_for_request`) and would spend
        two queries on it."""
        language = translation.get_language() or settings.LANGUAGE_CODE
        return content_cache.cached("localized", (self.pk, language), lambda: super(HomePage, self).localized.specific)

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import catalogue_entries  # not at the top: cms.selectors imports cms.models

        context = super().get_context(request, *args, **kwargs)
        context["programmes"] = catalogue_entries()[:6]
        context["catalogue"] = self.get_children().live().type(CataloguePage).first()
        return context


class CataloguePage(CachedContentMixin, Page):
    """The list of programmes, in the reader's language, with filters."""

    intro = RichTextField(
        _("introduction"), features=RICH_TEXT_FEATURES, blank=True,
        help_text=_("Texte affiché au-dessus de la liste des programmes."),
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ProgrammePage"]
    template = "cms/catalogue_page.html"

    class Meta:
        verbose_name = _("catalogue")

    def get_context(self, request, *args, **kwargs):
        from cms.forms import CatalogueFilterForm  # not at the top: cms.forms imports cms.models
        from cms.selectors import catalogue_entries  # not at the top: cms.selectors imports cms.models

        context = super().get_context(request, *args, **kwargs)
        form = CatalogueFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        context["filter_form"] = form
        context["programmes"] = catalogue_entries(**{key: value for key, value in filters.items() if value})
        context["is_filtered"] = any(filters.values())
        return context


class DpcActionKind(models.TextChoices):
    FC = "FC", _("Formation continue")
    EPP = "EPP", _("Évaluation des pratiques professionnelles")
    GDR = "GDR", _("Gestion des risques")
    INTEGRATED = "integrated", _("Programme intégré")


class ProgrammePage(CachedContentMixin, Page):
    """A curriculum of modules, with its audience, objectives and continuing-education hours."""

    summary = models.TextField(_("résumé"), help_text=_("Deux ou trois phrases affichées dans le catalogue."))
    audience_professions = ParentalManyToManyField(
        Profession, blank=True, related_name="+", verbose_name=_("métiers visés"),
        help_text=_("Les métiers pour lesquels le programme est conçu : une promotion devrait les réunir."),
    )
    audience_levels = LevelListField(
        _("niveaux d'action visés"), default=list, blank=True,
        help_text=_("Où agissent les personnes visées : équipe, établissement, région, national."),
    )
    objectives = RichTextField(_("objectifs pédagogiques"), features=RICH_TEXT_FEATURES)
    competencies = ParentalManyToManyField(Competency, blank=True, related_name="+", verbose_name=_("compétences"))
    hours = models.DecimalField(
        _("heures de formation"), max_digits=5, decimal_places=1, default=0,
        validators=[MinValueValidator(0), MaxValueValidator(500)],
        help_text=_("Heures de formation continue attestées à la fin du programme."),
    )
    open_enrolment = models.BooleanField(
        _("inscription libre"), default=True,
        help_text=_("Décochez pour réserver le programme aux promotions (inscription par invitation)."),
    )
    dpc_action_number = models.CharField(_("numéro d'action DPC"), max_length=40, blank=True)
    dpc_organisation_number = models.CharField(_("numéro d'organisme DPC"), max_length=40, blank=True)
    dpc_action_kind = models.CharField(_("type d'action DPC"), max_length=20, choices=DpcActionKind.choices, blank=True)
    dpc_orientation = models.CharField(_("orientation prioritaire"), max_length=255, blank=True)
    dpc_live_sessions_count = models.BooleanField(
        _("les sessions en direct comptent dans les heures DPC"), default=False,
        help_text=_(
            "Cochez si les sessions en direct suivies par l'apprenant·e s'ajoutent aux heures en ligne "
            "sur l'attestation de participation DPC."
        ),
    )

    content_panels = Page.content_panels + [
        HelpPanel(content=_(
            "Un programme réunit des modules. Ajoutez les modules comme sous-pages, dans l'ordre où "
            "l'apprenant·e les suit ; l'ordre se règle dans l'explorateur de pages."
        )),
        FieldPanel("summary"),
        FieldPanel("objectives"),
        MultiFieldPanel(
            [FieldPanel("audience_professions"), FieldPanel("audience_levels"), FieldPanel("competencies")],
            heading=_("Public et compétences"),
        ),
        MultiFieldPanel([FieldPanel("hours"), FieldPanel("open_enrolment")], heading=_("Durée et inscription")),
        MultiFieldPanel(
            [FieldPanel("dpc_action_number"), FieldPanel("dpc_organisation_number"),
             FieldPanel("dpc_action_kind"), FieldPanel("dpc_orientation"), FieldPanel("dpc_live_sessions_count")],
            heading=_("Développement professionnel continu (facultatif)"),
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("objectives"),
        index.FilterField("hours"),
    ]
    parent_page_types = ["cms.CataloguePage"]
    subpage_types = ["cms.ModulePage"]
    template = "cms/programme_page.html"

    class Meta:
        verbose_name = _("programme")

    @property
    def has_dpc(self) -> bool:
        return bool(self.dpc_action_number)

    def get_audience_levels_display(self) -> list[str]:
        labels = dict(Level.choices)
        return [str(labels[code]) for code in self.audience_levels if code in labels]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(self.cached_context(request, lambda: {
            "modules": list(self.get_children().live().public().type(ModulePage).specific()),
            "professions": list(self.audience_professions.all()),
            "competency_list": list(self.competencies.all()),
        }))
        return context


class ModulePage(CachedContentMixin, Page):
    """A unit of a few hours made of case studies and lessons."""

    summary = models.TextField(_("résumé"), blank=True)
    objectives = RichTextField(_("objectifs"), features=RICH_TEXT_FEATURES)
    estimated_minutes = models.PositiveIntegerField(
        _("durée estimée (minutes)"), default=120, validators=[MinValueValidator(5), MaxValueValidator(6000)]
    )
    competencies = ParentalManyToManyField(Competency, blank=True, related_name="+", verbose_name=_("compétences"))
    feedback_form = models.ForeignKey(
        FeedbackForm, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("questionnaire de fin de module"),
        help_text=_("Proposé à l'apprenant·e une fois le module terminé. Laissez vide pour ne rien demander."),
    )

    content_panels = Page.content_panels + [
        HelpPanel(content=_(
            "Un module dure quelques heures. Ajoutez ses études de cas et ses leçons comme sous-pages, "
            "dans l'ordre de lecture."
        )),
        FieldPanel("summary"), FieldPanel("objectives"), FieldPanel("estimated_minutes"), FieldPanel("competencies"),
        FieldPanel("feedback_form"),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("objectives")]
    parent_page_types = ["cms.ProgrammePage"]
    subpage_types = ["cms.CaseStudyPage", "cms.LessonPage"]
    template = "cms/module_page.html"

    class Meta:
        verbose_name = _("module")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(self.cached_context(request, lambda: {
            "steps": list(self.get_children().live().public().type(CaseStudyPage, LessonPage).specific()),
            "competency_list": list(self.competencies.all()),
        }))
        return context


class AssessedPage(CachedContentMixin, Page):
    """Fields shared by case studies and lessons: how their quiz is passed."""

    quiz_pass_threshold = models.PositiveSmallIntegerField(
        _("seuil de réussite du quiz (%)"), default=70, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    quiz_max_attempts = models.PositiveSmallIntegerField(
        _("nombre maximal de tentatives"), default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )

    settings_panels = Page.settings_panels

    class Meta:
        abstract = True

    def case_state_for(self, request):
        """The visibility state of this page for the request's user (or the admin preview's profession)."""
        from cms.access import case_state  # not at the top: cms.access imports cms.models
        from cms.selectors import live_case_outline  # not at the top: cms.selectors imports cms.models

        previewing = getattr(request, "is_preview", False)
        mode = getattr(request, "preview_mode", None) if previewing else None
        profession = mode.removeprefix("learner-") if mode and mode.startswith("learner-") else ""
        outline = None if previewing else live_case_outline(self)
        state = case_state(user=request.user, page=self, preview_profession=profession, outline=outline)
        if mode == "facilitator":  # only editors reach previews
            state.is_facilitator = True
        return state

    def get_preview_context(self, request, mode_name):
        request.preview_mode = mode_name
        return self.get_context(request)

    def add_hook_context(self, request, state, context) -> None:
        for fn in hooks.get_hooks(CASE_PAGE_CONTEXT_HOOK):
            fn(request, self, state, context)


class CaseSetting(models.TextChoices):
    CHU = "chu", _("CHU")
    CH = "ch", _("Centre hospitalier")
    GHT = "ght", _("GHT")
    ARS = "ars", _("ARS")
    EHPAD = "ehpad", _("EHPAD")
    CITY = "city", _("Ville (soins primaires, CPTS, MSP)")
    MINISTRY = "ministry", _("Administration centrale")
    OTHER = "other", _("Autre")


class CaseStudyPage(AssessedPage):
    """A staged situation: episodes revealed in order, role briefs per profession, decisions, debrief."""

    setting = models.CharField(_("lieu"), max_length=20, choices=CaseSetting.choices)
    problem = RichTextField(_("le problème"), features=RICH_TEXT_FEATURES)
    stakeholders = RichTextField(_("les parties prenantes"), features=RICH_TEXT_FEATURES, blank=True)
    competencies = ParentalManyToManyField(Competency, blank=True, related_name="+", verbose_name=_("compétences"))
    professions = ParentalManyToManyField(Profession, blank=True, related_name="+", verbose_name=_("métiers concernés"))
    body = StreamField(CaseBodyBlock(), verbose_name=_("déroulé du cas"), blank=True)

    content_panels = Page.content_panels + [
        HelpPanel(content=_(
            "Le déroulé se compose d'épisodes révélés dans l'ordre, d'un débriefing et de notes pour "
            "l'animateur·rice. Dans un épisode, un dossier de rôle n'est montré qu'aux apprenant·es du "
            "métier choisi ; les notes pour l'animateur·rice ne sont jamais montrées aux apprenant·es. "
            "Utilisez l'aperçu « comme un·e apprenant·e » pour relire chaque dossier."
        )),
        FieldPanel("setting"), FieldPanel("problem"), FieldPanel("stakeholders"),
        FieldPanel("competencies"), FieldPanel("professions"), FieldPanel("body"),
    ]
    settings_panels = Page.settings_panels + [
        MultiFieldPanel([FieldPanel("quiz_pass_threshold"), FieldPanel("quiz_max_attempts")], heading=_("Quiz")),
    ]
    # Only learner-visible text is indexed: facilitator notes and debriefs never reach search.
    search_fields = Page.search_fields + [
        index.SearchField("problem"),
        index.SearchField("stakeholders"),
        index.SearchField("searchable_body"),
        index.FilterField("setting"),
    ]
    parent_page_types = ["cms.ModulePage"]
    subpage_types: list[str] = []
    template = "cms/case_study_page.html"

    class Meta:
        verbose_name = _("étude de cas")
        verbose_name_plural = _("études de cas")

    def searchable_body(self) -> str:
        from cms.selectors import public_text  # not at the top: cms.selectors imports cms.models

        return public_text(self.body)

    @property
    def preview_modes(self):
        return [("facilitator", _("Comme un·e animateur·rice (tout le cas)"))] + [
            (f"learner-{code}", _("Comme un·e apprenant·e : %(profession)s") % {"profession": label})
            for code, label in ProfessionCode.choices
        ]

    def get_context(self, request, *args, **kwargs):
        from cms.rendering import case_parts, shared_fragments  # not at the top: cms.rendering imports cms.models

        context = super().get_context(request, *args, **kwargs)
        state = self.case_state_for(request)
        labels = dict(ProfessionCode.choices)
        context["state"] = state
        context["parts"] = case_parts(page=self, state=state)
        context["fragments"] = shared_fragments(page=self, request=request, parts=context["parts"])
        context["brief_professions"] = [(code, labels[code]) for code in state.outline.role_brief_professions]
        context["perspective_label"] = labels.get(state.perspective, "")
        context["preview_label"] = labels.get(state.preview_profession, "")
        context["needs_perspective"] = bool(
            state.outline.role_brief_professions and not state.sees_all_briefs and not state.perspective
        )
        context.update(self.cached_context(request, lambda: {"competency_list": list(self.competencies.all())}))
        self.add_hook_context(request, state, context)
        return context


class LessonPage(AssessedPage):
    """Plain teaching content."""

    summary = models.TextField(_("résumé"), blank=True)
    body = StreamField(LessonBodyBlock(), verbose_name=_("contenu"), blank=True)
    competencies = ParentalManyToManyField(Competency, blank=True, related_name="+", verbose_name=_("compétences"))

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("competencies"), FieldPanel("body")]
    settings_panels = Page.settings_panels + [
        MultiFieldPanel([FieldPanel("quiz_pass_threshold"), FieldPanel("quiz_max_attempts")], heading=_("Quiz")),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("searchable_body")]
    parent_page_types = ["cms.ModulePage"]
    subpage_types: list[str] = []
    template = "cms/lesson_page.html"

    class Meta:
        verbose_name = _("leçon")

    def searchable_body(self) -> str:
        from cms.selectors import public_text  # not at the top: cms.selectors imports cms.models

        return public_text(self.body)

    @property
    def preview_modes(self):
        return [("facilitator", _("Comme un·e animateur·rice")), ("learner-other", _("Comme un·e apprenant·e"))]

    def get_context(self, request, *args, **kwargs):
        from cms.rendering import lesson_items, shared_fragments  # not at the top: cms.rendering imports cms.models

        context = super().get_context(request, *args, **kwargs)
        state = self.case_state_for(request)
        context["state"] = state
        context["items"] = lesson_items(page=self, state=state)
        context["fragments"] = shared_fragments(page=self, request=request, items=context["items"])
        context.update(self.cached_context(request, lambda: {"competency_list": list(self.competencies.all())}))
        self.add_hook_context(request, state, context)
        return context


class CasePerspective(models.Model):
    """The profession whose brief a learner chose to read in a case, remembered once picked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_perspectives")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    profession = models.CharField(_("métier"), max_length=20, choices=ProfessionCode.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("perspective choisie")
        constraints = [models.UniqueConstraint(fields=["user", "page"], name="one_perspective_per_user_and_case")]
