"""Landing-page services: DOIs, citations, exports and signposting, carbon estimates, collections."""
