"""Community, voluntary and faith groups: records, submissions and moderation, import, map and counts by area."""
