"""Partnership Atlas: web mapping for English local area partnerships. The app factory is :mod:`geoapp.app`."""
