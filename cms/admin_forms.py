"""The admin form of our page types: snippet choices in the page's own language.

Professions and competencies exist in French and in English (`cms.locales`). A French page lists
the French snippets, an English copy the English ones (the French where a snippet has no English
copy): the editor never sees each one twice.
"""

from wagtail.admin.forms import WagtailAdminPageForm

from cms.locales import SNIPPET_FIELDS, in_language, locale_ids


class LocalizedPageForm(WagtailAdminPageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale_id = self.instance.locale_id or getattr(self.parent_page, "locale_id", None)
        language = next((code for code, pk in locale_ids().items() if pk == locale_id), "")
        for name in SNIPPET_FIELDS:
            field = self.fields.get(name)
            if field is not None:
                field.queryset = in_language(field.queryset.model.objects.all(), language=language)
