"""Forms of the import pages: the upload, and the column mapping with the run options."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from imports.mapping import labels
from imports.models import ImportJob


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=ImportJob.Kind.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial="customers",
    )
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_mb = settings.IMPORT_MAX_BYTES // 1_000_000
        self.fields["file"].help_text = _(
            "CSV (UTF-8 or GB18030/GBK) or Excel .xlsx, at most %(limit)s MB; the first row names the columns."
        ) % {"limit": limit_mb}


class MappingForm(forms.Form):
    """One choice per column of the file (a field, or ignore it), then the mode."""

    dry_run = forms.BooleanField(label=_("Dry run: check the file and report, write nothing"), required=False)
    all_or_nothing = forms.BooleanField(label=_("All or nothing: if any row is bad, import no row"), required=False)

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", _("— ignore this column —")), *((key, label) for key, label in labels(job.kind).items())]
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or _("(column %(number)s has no name)") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=job.mapping.get(header, ""),
            )
            self.columns.append((name, header))
        self.order_fields([name for name, _header in self.columns] + ["dry_run", "all_or_nothing"])

    def column_fields(self):
        return [self[name] for name, _header in self.columns]

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data[name] for name, header in self.columns if header and self.cleaned_data[name]}
