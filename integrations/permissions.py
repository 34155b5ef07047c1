"""Each API view names the scope it needs (`required_scope`); an integration without it gets 403."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from integrations.models import Integration


class HasScope(BasePermission):
    message = _("This integration's token does not have the scope this endpoint needs.")

    def has_permission(self, request, view) -> bool:
        integration = request.user
        if not isinstance(integration, Integration):
            return False  # DRF turns this into 401: the request carried no token
        required = getattr(view, "required_scope", None)
        if required is None:
            return False  # a view that forgot to declare its scope is closed, not open
        return integration.has_scope(required)
