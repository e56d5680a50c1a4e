"""Groups counted by area, per 1,000 residents, and where need is high and groups are few (the group_coverage
blueprint)."""
