import os

from django.core.wsgi import get_wsgi_application

from wallet_followup.startup import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_followup.settings")
load_settings_or_exit()
application = get_wsgi_application()
