"""DataCite: the one catalogue → DataCite 4.7 mapping (metadata), its XML form (xml) and the REST client (client)."""
