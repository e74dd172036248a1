"""Relevance search over the catalogue: the PSS-compatible term pipeline, the term index and scoring in PostgreSQL."""
