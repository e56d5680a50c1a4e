"""Service alignment: how well two boundary sets fit (coterminosity), best-fit lookups between them."""
