"""Service alignment: how well two boundary sets fit, best-fit lookups between them."""
