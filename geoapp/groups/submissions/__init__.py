"""Groups sent in by the public and the editors' moderation queue (the group_submissions blueprint)."""
