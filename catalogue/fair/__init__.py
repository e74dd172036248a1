"""The FAIR score: declarative checks (checks.py), pure scoring (scoring.py), facts read from the catalogue
(facts.py), change hooks (receivers.py) and tasks; the service is catalogue.services.fair."""
