"""Who may do what: the roles and their permissions, declared once, as data."""
from __future__ import annotations

PERMISSIONS = {
    "read": "Read maps, profiles, boundary sets and published community groups",
    "submit_group": "Submit a community group for moderation",
    "sign_in": "Sign in, reset a forgotten password",
    "own_account": "Change one's own password and manage one's own API tokens",
    "read_shared_proposals": "Read draft forum proposals shared with them",
    "record_consultations": "Record consultation and engagement activity",
    "export_tables": "Export tables and profiles",
    "save_lists": "Save named lists of areas to compare",
    "set_targets": "Set, change and remove performance targets for areas",
    "read_history": "See the change history of boundary sets, areas and groups",
    "import_data": "Import boundary, indicator and group data",
    "manage_boundary_sets": "Rename, replace and delete boundary sets",
    "edit_proposals": "Create and edit forum proposals",
    "adopt_proposal": "Adopt a forum proposal as the official LAF boundaries",
    "moderate_groups": "Approve, edit, merge and reject community groups",
    "manage_users": "Create users, set roles, lock and unlock accounts",
    "read_audit": "Browse and export the audit log",
}

_PUBLIC = {"read", "submit_group", "sign_in"}
_BOARD = _PUBLIC | {"own_account", "read_shared_proposals", "export_tables", "save_lists", "record_consultations"}

ROLES = {
    "public": ("Member of the public", _PUBLIC),
    "board_member": ("Board member", _BOARD),
    "officer": ("Council officer", _BOARD | {"read_history", "import_data", "manage_boundary_sets",
                                            "edit_proposals", "adopt_proposal", "set_targets"}),
    "third_sector_editor": ("Third-sector editor", _BOARD | {"read_history", "moderate_groups"}),
    "admin": ("Administrator", set(PERMISSIONS)),
}

# Anyone not signed in has the public role.
ANONYMOUS = "public"


def can(role: str, permission: str) -> bool:
    """True when ``role`` holds ``permission``; unknown roles and permissions hold nothing.

    >>> can("officer", "import_data"), can("public", "import_data")
    (True, False)
    """
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in ROLES.get(role, ("", set()))[1]


def role_label(role: str) -> str:
    return ROLES[role][0]
