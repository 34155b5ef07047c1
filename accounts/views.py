from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.queries import landing_url_name


@login_required
def home(request):
    url_name = landing_url_name(request.user)
    if url_name is None:
        return render(request, "accounts/no_role.html", status=403)
    return redirect(url_name)
