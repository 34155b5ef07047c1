"""What each staff role may do, as Django permissions granted to a group of the role's name.

Agents see their queue and the customer they are calling; managers design and launch campaigns and
read aggregates; administrators may do everything. Migrations call `sync_role_groups` so the groups
exist on every database, and call it again whenever a later migration adds permissions.
"""

from __future__ import annotations

AGENT_PERMISSIONS = {
    "accounts": ["view_customer", "reveal_customer_phone", "view_walletevent"],
    "surveys": [
        "work_call_queue",
        "view_followup",
        "change_followup",
        "view_contactattempt",
        "add_contactattempt",
        "view_survey",
        "view_question",
        "view_choice",
        "view_campaign",
        "view_response",
        "add_response",
        "change_response",
        "view_answer",
        "add_answer",
        "change_answer",
        "view_case",
        "add_case",
        "change_case",
    ],
}

MANAGER_PERMISSIONS = {
    "accounts": ["view_customer", "view_walletevent"],
    "surveys": [
        *(
            f"{action}_{model}"
            for model in ("survey", "question", "choice", "campaign")
            for action in ("add", "change", "delete", "view")
        ),
        "launch_campaign",
        "view_concern_dashboard",
        "view_messagetemplate",
        "add_messagetemplate",
        "change_messagetemplate",
        "view_concernkeyword",
        "add_concernkeyword",
        "delete_concernkeyword",
        "view_followup",
        "view_contactattempt",
        "view_response",
        "view_answer",
        "view_case",
        "add_case",
        "change_case",
    ],
    # Upload bank files of customers and wallet events, map their columns, run and read the result.
    "imports": ["add_importjob", "view_importjob", "change_importjob"],
}

ALL_PERMISSIONS = "__all__"

ROLE_PERMISSIONS = {"agent": AGENT_PERMISSIONS, "manager": MANAGER_PERMISSIONS, "admin": ALL_PERMISSIONS}


def sync_role_groups(apps, *, strict: bool = True) -> None:
    """Create the role groups and set their permissions exactly.

    An early migration runs this before later models exist: it passes ``strict=False`` to skip their
    permissions, which the migration that adds those models grants by calling this again.

    Works with a migration's historical `apps` and with the live registry (`django.apps.apps`).
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrations finish; make sure they exist now.
    for app_config in apps.get_app_configs():
        if getattr(app_config, "models_module", None) is None:
            # A historical app registry: create_permissions skips apps without a models module.
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        else:
            create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if wanted == ALL_PERMISSIONS:
            permissions = list(Permission.objects.all())
        else:
            permissions = []
            for app_label, codenames in wanted.items():
                found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
                missing = set(codenames) - {p.codename for p in found}
                if missing and strict:
                    raise RuntimeError(f"role {role}: unknown permissions {app_label}.{sorted(missing)}")
                permissions.extend(found)
        group.permissions.set(permissions)
