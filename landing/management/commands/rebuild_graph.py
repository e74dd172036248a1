"""Rebuild the knowledge graph store from the catalogue (first install, upgrades, after a restore)."""

import time

from django.core.management.base import BaseCommand

from landing.graph import store, sync


class Command(BaseCommand):
    help = "Rebuild the SPARQL store of the open knowledge graph from scratch and publish it."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-missing", action="store_true", help="Only when no store has been published yet (a first start)."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Processes describing entities while this one loads them (a full rebuild on several cores).",
        )
        parser.add_argument(
            "--no-optimize",
            action="store_true",
            help=(
                "Skip the final compaction (it needs as much free disk again as the store takes for a while); "
                "refreshes then stall now and then and dumps read slower (docs/linked-data.md)."
            ),
        )

    def handle(self, *args: object, if_missing: bool, workers: int, no_optimize: bool, **options: object) -> None:
        if if_missing and store.current_generation() is not None:
            self.stdout.write(f"Graph store present ({store.current_generation()}): not rebuilt")
            return
        started = time.monotonic()
        triples = sync.rebuild(
            progress=lambda line: self.stdout.write(f"  {line}"), workers=workers, optimize=not no_optimize
        )
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Graph store rebuilt: {triples} triples in {seconds:.1f} s, published as {store.current_generation()}"
        )
