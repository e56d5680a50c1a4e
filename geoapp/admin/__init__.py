"""Administration: users and the audit log."""
