"""The Flask glue every blueprint shares: the request's database session, error pages, security headers,
rate limits, page context, per-app display caches and download responses. Nothing below this floor imports Flask."""
