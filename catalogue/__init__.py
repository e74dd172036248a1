"""The catalogue: the domain core that ingestion fills and every public surface reads."""
