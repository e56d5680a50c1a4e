"""Vector tiles of large boundary sets, and the area details and lists a tiled map needs."""
