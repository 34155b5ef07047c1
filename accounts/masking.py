"""The one place personal identifiers are masked for display and export."""

from __future__ import annotations

import phonenumbers


def mask_phone(phone: str) -> str:
    """Keep the country code, the first three and the last four digits: +86 138****8000."""
    if not phone:
        return ""
    try:
        parsed = phonenumbers.parse(phone, None)
        country, national = str(parsed.country_code), str(parsed.national_number)
    except phonenumbers.NumberParseException:
        return "*" * len(phone)
    if len(national) <= 7:
        return f"+{country} {national[:1]}{'*' * (len(national) - 1)}"
    hidden = len(national) - 7
    return f"+{country} {national[:3]}{'*' * hidden}{national[-4:]}"


def mask_email(email: str) -> str:
    """First character of the local part and the domain: z***@example.com."""
    if not email or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_reference(reference: str) -> str:
    """Keep the last four characters of a bank reference: ****0042 (short ones are hidden whole)."""
    if not reference:
        return ""
    if len(reference) <= 4:
        return "*" * len(reference)
    return f"{'*' * (len(reference) - 4)}{reference[-4:]}"


def mask_name(name: str) -> str:
    """Keep the first character of each part of a name: 王** / J*** S****."""
    return " ".join(part[:1] + "*" * (len(part) - 1) for part in name.split())
