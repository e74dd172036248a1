"""The knowledge graph (DCAT-AP 3): RDF of every public entity, the open catalogue's dump and pages, the SPARQL store.

describe.py maps the catalogue (through landing.datacite.metadata and catalogue.visibility) onto RDF; formats.py
serialises and negotiates; store.py keeps the embedded Oxigraph store that /sparql reads; sync.py fills it.
"""
