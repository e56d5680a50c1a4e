"""Community groups on the map: the directory with its filters, search and exports (the groups blueprint)."""
