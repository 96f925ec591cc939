"""Forms of the cohort features: they parse and validate; services do the writing."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.choices import Level, Profession, Role
from cms.locales import in_language, translation_in
from cms.models import ProgrammePage
from cms.selectors import source_page
from cohorts.models import Cohort, CohortGroup, LiveSession
from cohorts.services import cohort_status_choices

User = get_user_model()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def plausible_date(value) -> None:
    """A date a cohort can use: year 1 or 9999 parse as dates but overflow once converted to UTC."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise forms.ValidationError(
            _("Date impossible : choisissez une date entre %(first)s et %(last)s."),
            params={"first": EARLIEST_YEAR, "last": LATEST_YEAR}, code="implausible_date",
        )


class PlausibleDatesMixin:
    """Every date and date-time field of the form refuses dates outside EARLIEST_YEAR..LATEST_YEAR."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                field.validators.append(plausible_date)


class CohortForm(PlausibleDatesMixin, forms.ModelForm):
    co_facilitators = forms.ModelMultipleChoiceField(
        label=_("Co-animateur·rices"), required=False, queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Les autres animateur·rices de la promotion : ils et elles la gèrent avec vous."),
    )

    class Meta:
        model = Cohort
        fields = ["programme", "name", "region", "starts_on", "ends_on", "language", "capacity", "status", "join_policy"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Each programme once, in the facilitator's language; the cohort is kept on the original.
        self.fields["programme"].queryset = in_language(ProgrammePage.objects.live()).order_by("title")
        self.fields["programme"].label = _("Programme")
        # The statuses this cohort may take here; closing has its own confirmed step.
        self.fields["status"].choices = cohort_status_choices(self.instance)
        if self.instance.pk and self.instance.programme_id:
            self.initial["programme"] = translation_in(self.instance.programme).pk
        self.fields["capacity"].min_value = 2
        others = User.objects.filter(groups__name=Role.FACILITATOR.value, is_active=True).order_by("last_name", "first_name")
        if user is not None:
            others = others.exclude(pk=user.pk)
        self.fields["co_facilitators"].queryset = others
        self.fields["co_facilitators"].label_from_instance = lambda u: u.display_name
        if self.instance.pk:
            self.fields["programme"].disabled = True
            self.fields["programme"].help_text = _("Le programme d'une promotion existante ne change pas.")
            self.initial.setdefault("co_facilitators", list(
                self.instance.memberships.filter(role="facilitator", status="active").exclude(user=user)
                .values_list("user_id", flat=True)
            ))

    def clean_programme(self):
        programme = self.cleaned_data["programme"]
        return source_page(programme) if programme is not None else programme


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"))
    name = forms.CharField(label=_("Nom"), max_length=200, required=False)
    profession = forms.ChoiceField(label=_("Métier"), choices=[("", "—"), *Profession.choices], required=False)
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    level = forms.ChoiceField(label=_("Niveau d'action"), choices=[("", "—"), *Level.choices], required=False)


class InvitationImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_("Une première ligne d'en-tête nomme les colonnes : e-mail, nom, métier, organisation, niveau. Séparateur virgule ou point-virgule ; UTF-8 ou Latin-1 (export d'un tableur)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 1_000_000:
            raise forms.ValidationError(_("Le fichier dépasse 1 Mo."))
        return upload


class GroupFormationForm(forms.Form):
    size = forms.IntegerField(label=_("Taille des groupes"), min_value=2, max_value=12, initial=5)
    seed = forms.IntegerField(
        label=_("Tirage"), min_value=0, max_value=999_999, initial=0,
        help_text=_("Changez ce nombre pour obtenir une autre répartition aussi équilibrée."),
    )


class GroupMoveForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)
    group = forms.ModelChoiceField(queryset=CohortGroup.objects.none(), required=False, label=_("Déplacer vers"),
                                   empty_label=_("Hors groupe"))

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = CohortGroup.objects.filter(cohort=cohort)


class LiveSessionForm(PlausibleDatesMixin, forms.ModelForm):
    video_url = forms.URLField(label=_("Lien de visioconférence"), required=False, assume_scheme="https")

    class Meta:
        model = LiveSession
        fields = ["title", "starts_at", "ends_at", "place", "video_url"]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput()}


class AnnouncementForm(forms.Form):
    group = forms.ModelChoiceField(queryset=CohortGroup.objects.none(), required=False, label=_("Destinataires"),
                                   empty_label=_("Toute la promotion"))
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10_000)

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = CohortGroup.objects.filter(cohort=cohort)


class ScheduleRowForm(PlausibleDatesMixin, forms.Form):
    """One line of the schedule page: which part of the programme it dates (a hidden key), and its dates."""

    part = forms.CharField(widget=forms.HiddenInput, required=False)  # an empty key is an unknown part
    opens_at = forms.DateTimeField(label=_("Ouverture"), required=False, widget=DateTimeInput())
    due_at = forms.DateTimeField(label=_("Échéance"), required=False, widget=DateTimeInput())
    debrief_opens_at = forms.DateTimeField(label=_("Débriefing"), required=False, widget=DateTimeInput())

    def __init__(self, *args, parts: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.schedule_part = parts.get(self["part"].value())  # None for a line naming no part of the programme

    def clean_part(self):
        if self.schedule_part is None:
            raise forms.ValidationError(_("Cette ligne ne correspond à aucune partie du programme : rechargez la page."))
        return self.schedule_part


class BaseScheduleFormSet(forms.BaseFormSet):
    """The schedule page: a line per part of the programme (`cohorts.selectors.schedule_parts`).
    It parses; `cohorts.services.schedule_save` checks the dates and stores them all or none."""

    def __init__(self, data=None, *, parts: list, **kwargs):
        initial = None if data is not None else [
            {"part": part.key, **{name: getattr(part.item, name, None) for name in ("opens_at", "due_at", "debrief_opens_at")}}
            for part in parts
        ]
        super().__init__(data, initial=initial, prefix="schedule", form_kwargs={"parts": {p.key: p for p in parts}}, **kwargs)

    def items(self) -> list[dict]:
        """The cleaned lines as `schedule_save` takes them (a debrief date on case lines only)."""
        items = []
        for form in self.forms:
            part, data = form.cleaned_data["part"], form.cleaned_data
            item = {"page": part.page, "episode_id": part.episode_id, "label": part.label,
                    "opens_at": data["opens_at"], "due_at": data["due_at"]}
            if part.kind == "case":
                item["debrief_opens_at"] = data["debrief_opens_at"]
            items.append(item)
        return items

    def add_item_errors(self, error: forms.ValidationError) -> None:
        """Show on each line what `schedule_save` refused in it (its errors are keyed by line index)."""
        for index, errors in error.error_dict.items():
            self.forms[index].add_error(None, errors)


ScheduleFormSet = forms.formset_factory(ScheduleRowForm, formset=BaseScheduleFormSet, extra=0)
