"""The administrator's pages for a customer's data request, reached from the customer's page in the Django admin
(accounts/admin.py CustomerAdmin adds the URLs and the two buttons).

Each page: the admin site's own checks (``admin_view``: signed in, staff, and whatever the site adds, such as a
verified second factor), then administrators only (403 for other staff), on GET say what will happen, on POST
call one service. Both act on POST only, so a link
previewer or a prefetch never exports or erases anything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from accounts.models import Customer
from audit import services as audit
from audit.models import AuditEntry
from privacy import rules, services


def admin_page(view: Callable, *, model_admin) -> Callable:
    """``view`` as a page of ``model_admin``: the admin site's own checks first, like every admin page (signed
    out or not staff: the admin's login page), then the one access check of these pages: administrators only,
    403 for any other member of staff."""

    @wraps(view)
    def page(request, *args, **kwargs):
        if not rules.may_handle_requests(request.user):
            raise PermissionDenied
        return view(request, *args, model_admin=model_admin, **kwargs)

    return model_admin.admin_site.admin_view(page)


def _context(model_admin, request, customer: Customer, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": Customer._meta,
        "object": customer,
        "title": title,
        "erased": rules.is_erased(customer.bank_reference),
    }


def export_customer(request, object_id: str, *, model_admin) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=object_id)
    if request.method == "POST":
        export = services.export_customer_data(customer=customer, actor=request.user)
        audit.record(
            action=AuditEntry.Action.EXPORTED,
            actor=request.user,
            target=customer,
            details={"export": "customer personal data", "rows": export.counts},
        )
        response = HttpResponse(export.content, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
    title = _("Export this customer's personal data")
    return TemplateResponse(request, "privacy/confirm_export.html", _context(model_admin, request, customer, title))


def erase_customer(request, object_id: str, *, model_admin) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=object_id)
    title = _("Erase this customer's personal data")
    if request.method == "POST":
        try:
            result = services.erase_customer(customer=customer, actor=request.user)
        except services.ErasureRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request,
                _(
                    "The customer's personal data was erased: %(cancelled)s open follow-ups cancelled, "
                    "%(answers)s answers and %(cases)s cases anonymised. They will never be contacted again."
                )
                % {
                    "cancelled": result.follow_ups_cancelled,
                    "answers": result.answers_anonymised,
                    "cases": result.cases_scrubbed,
                },
            )
        return redirect("admin:accounts_customer_change", customer.pk)
    return TemplateResponse(request, "privacy/confirm_erase.html", _context(model_admin, request, customer, title))
