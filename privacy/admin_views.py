"""The administrator's pages for a customer's data request, reached from the customer's page in the Django admin
(accounts/admin.py CustomerAdmin adds the URLs and the two buttons).

Each page: check access (administrators only: anyone else gets 403, an anonymous visitor the login page), on GET
say what will happen, on POST call one service. Both are POSTs so a link previewer or a prefetch never exports
or erases anything.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.models import Customer
from privacy import rules, services


def _customer(request, object_id: str) -> Customer:
    """The one access check of these pages, then the customer."""
    if not rules.may_handle_requests(request.user):
        raise PermissionDenied
    return get_object_or_404(Customer, pk=object_id)


def _context(model_admin, request, customer: Customer, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": Customer._meta,
        "object": customer,
        "title": title,
        "erased": rules.is_erased(customer.bank_reference),
    }


@never_cache
@login_required
def export_customer(request, object_id: str, *, model_admin) -> HttpResponse:
    customer = _customer(request, object_id)
    if request.method == "POST":
        export = services.export_customer_data(customer=customer, actor=request.user)
        # AUDIT (lead): record(action="customer.exported", actor=request.user, target=customer, details=export.counts)
        response = HttpResponse(export.content, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
    title = _("Export this customer's personal data")
    return TemplateResponse(request, "privacy/confirm_export.html", _context(model_admin, request, customer, title))


@never_cache
@login_required
def erase_customer(request, object_id: str, *, model_admin) -> HttpResponse:
    customer = _customer(request, object_id)
    title = _("Erase this customer's personal data")
    if request.method == "POST":
        try:
            result = services.erase_customer(customer=customer, actor=request.user)
        except services.ErasureRefused as refused:
            messages.error(request, str(refused))
        else:
            # AUDIT (lead): record(action="customer.erased", actor=request.user, target=customer,
            #                      details=dataclasses.asdict(result))
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
