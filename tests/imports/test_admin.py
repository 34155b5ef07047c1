"""Support staff see imports in the admin, read-only."""

import pytest
from django.urls import reverse

from imports.models import ImportJob

pytestmark = pytest.mark.django_db


def test_the_administrator_sees_imports_and_cannot_add_or_change_them(client, administrator):
    job = ImportJob.objects.create(kind="customers", original_name="客户名单.csv", stored_name="x.csv", size=10)
    client.force_login(administrator)

    listing = client.get(reverse("admin:imports_importjob_changelist"))
    adding = client.get(reverse("admin:imports_importjob_add"))
    changing = client.post(reverse("admin:imports_importjob_change", args=[job.pk]), {"original_name": "x"})

    assert listing.status_code == 200 and "客户名单.csv" in listing.content.decode()
    assert adding.status_code == 403
    job.refresh_from_db()
    assert job.original_name == "客户名单.csv" and changing.status_code == 403
