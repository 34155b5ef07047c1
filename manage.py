#!/usr/bin/env python
"""Django's command-line utility, with one-line errors for a broken environment."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_followup.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    from wallet_followup.startup import load_settings_or_exit

    load_settings_or_exit()
    try:
        execute_from_command_line(sys.argv)
    except OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        sys.stderr.write(f"database error: {first_line}\n")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
