"""The PaNOSC Search API (panosc-search-api.md): LoopBack filters over open data, served at /panosc-api."""
