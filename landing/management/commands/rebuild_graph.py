"""Rebuild the knowledge graph store from the catalogue (first install, upgrades, after a restore)."""

import time

from django.core.management.base import BaseCommand

from landing.graph import store, sync


class Command(BaseCommand):
    help = "Rebuild the SPARQL store of the open knowledge graph from scratch and publish it."

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        triples = sync.rebuild(progress=lambda line: self.stdout.write(f"  {line}"))
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Graph store rebuilt: {triples} triples in {seconds:.1f} s, published as {store.current_generation()}"
        )
