"""The bank's name and service number, in the language of the page, for every template."""

from django.conf import settings
from django.utils import translation


def bank(request) -> dict:
    english = (translation.get_language() or "").startswith("en")
    return {
        "bank_name": settings.BANK_NAME_EN if english else settings.BANK_NAME_ZH,
        "bank_service_phone": settings.BANK_SERVICE_PHONE,
    }
