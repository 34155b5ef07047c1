"""Managers' pages for the wording of invitations and reminders: the table of texts and one text's editor.

Reading needs surveys.view_messagetemplate. Saving needs change_messagetemplate (add_ when the text
is still the shipped one); restoring the shipped text deletes the manager's row and needs
change_messagetemplate (managers hold no delete permission, and restoring is a change of wording).

The preview is rendered on the server with a made-up customer, so it works without JavaScript: the
"Preview" button posts the form and nothing is saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import staff_page
from surveys import messaging, wording
from surveys.models import MessageTemplate
from surveys.wording_forms import MessageWordingForm

LANGUAGES = dict(MessageTemplate._meta.get_field("language").choices)
CHANNELS = dict(MessageTemplate._meta.get_field("channel").choices)


def message_key(kind: str, channel: str, language: str) -> dict[str, str]:
    """The (kind, channel, language) of a URL, or 404 for anything else."""
    if kind not in MessageTemplate.Kind.values or channel not in wording.CHANNELS or language not in LANGUAGES:
        raise Http404
    return {"kind": kind, "channel": channel, "language": language}


@staff_page("surveys.view_messagetemplate")
def message_list(request):
    return render(request, "surveys/wording/list.html", {"texts": wording.message_texts()})


@staff_page("surveys.view_messagetemplate")
def message_edit(request, kind: str, channel: str, language: str):
    key = message_key(kind, channel, language)
    template = MessageTemplate.objects.filter(**key).select_related("updated_by").first()
    can_save = request.user.has_perm("surveys.change_messagetemplate" if template else "surveys.add_messagetemplate")
    can_restore = template is not None and request.user.has_perm("surveys.change_messagetemplate")
    action = request.POST.get("action", "preview") if request.method == "POST" else None

    if action == "restore":
        if not request.user.has_perm("surveys.change_messagetemplate"):
            raise PermissionDenied
        wording.restore_shipped_text(**key)  # nothing to delete (a second click) is fine: the result is the same
        messages.success(request, _("The shipped text is used again."))
        return redirect("wording:edit", **key)

    if action is None:
        start = template or messaging.shipped_wording(**key)
        form = MessageWordingForm(initial={"subject": start.subject, "body": start.body}, channel=channel)
        subject, body = start.subject, start.body
    else:
        form = MessageWordingForm(request.POST, channel=channel)
        subject = body = None
        if form.is_valid():
            subject, body = form.cleaned_data.get("subject", ""), form.cleaned_data["body"]
            if action == "save":
                if not can_save:
                    raise PermissionDenied
                try:
                    wording.save_message_template(**key, subject=subject, body=body, user=request.user)
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, _("Saved. New messages use this text within a minute."))
                    return redirect("wording:edit", **key)

    preview = None
    if body is not None and not form.errors:
        values = messaging.sample_values(language=language)
        preview = wording.preview(channel=channel, subject=subject or "", body=body, values=values)
    context = {
        **key,
        "form": form,
        "template": template,
        "preview": preview,
        "can_save": can_save,
        "can_restore": can_restore,
        "kind_label": MessageTemplate.Kind(kind).label,
        "channel_label": CHANNELS[channel],
        "language_label": LANGUAGES[language],
        "placeholders": [
            (wording.braced(name), meaning, name in wording.REQUIRED) for name, meaning in wording.PLACEHOLDERS.items()
        ],
    }
    return render(request, "surveys/wording/edit.html", context)
