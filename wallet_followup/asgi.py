import os

from django.core.asgi import get_asgi_application

from wallet_followup.startup import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_followup.settings")
load_settings_or_exit()
application = get_asgi_application()
