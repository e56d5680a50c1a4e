"""Storage: SQLAlchemy models, migrations and the repository the views and CLI use."""
