"""manage.py generate_catalogue --datasets N [--seed S] [--no-index]: a synthetic catalogue for benchmarks."""

import time

from django.core.management.base import BaseCommand

from benchmarks import synthetic
from catalogue.models import SearchGroup
from catalogue.search import counts, index


class Command(BaseCommand):
    help = "Fill the catalogue with N realistic synthetic datasets (COPY in batches), then rebuild the search index."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--datasets", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1, help="Another seed adds another, distinct batch.")
        parser.add_argument("--embargoed-share", type=float, default=0.1)
        parser.add_argument("--no-index", action="store_true", help="Skip the search index rebuild.")

    def handle(
        self, *args: object, datasets: int, seed: int, embargoed_share: float, no_index: bool, **options: object
    ) -> None:
        started = time.monotonic()
        written = synthetic.generate(
            datasets=datasets,
            seed=seed,
            embargoed_share=embargoed_share,
            progress=lambda message: self.stdout.write(f"  {message}"),
        )
        self.stdout.write(
            f"{written['datasets']} datasets in {written['proposals']} proposals written in "
            f"{time.monotonic() - started:.0f} s"
        )
        counts.compact()
        if not no_index:
            for group in SearchGroup:
                step = time.monotonic()
                items = index.rebuild(group=group)
                self.stdout.write(f"search index: {items} {group} in {time.monotonic() - step:.0f} s")
