"""Reads for the import pages."""

from __future__ import annotations

from imports.models import ImportJob


def recent_imports(limit: int = 20):
    return ImportJob.objects.select_related("created_by")[:limit]
