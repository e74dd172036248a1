"""manage.py redraw_previews: draw the datasets' previews again from their files (after an upgrade of the drawing)."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from ingest import services, tasks
from ingest.nexus.reader import FileBusy


class Command(BaseCommand):
    help = (
        "Redraw the previews made before captions and card sizes existed (or, with --all, every preview) from the "
        "datasets' master files: queued to the workers, or inline with --sync."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", dest="every", help="Redraw every dataset's preview.")
        parser.add_argument("--sync", action="store_true", help="Draw inline instead of queueing to the workers.")

    def handle(self, *args: object, every: bool, sync: bool, verbosity: int, **options: object) -> None:
        ids = services.datasets_to_redraw(every=every)
        if not sync:
            for dataset_id in ids:
                tasks.redraw_preview.delay(dataset_id)
            self.stdout.write(self.style.SUCCESS(f"{len(ids)} previews queued for the workers"))
            return
        show = self.stdout.isatty() and verbosity > 0
        drawn = busy = 0
        for dataset_id in tqdm(ids, desc="drawing", unit="dataset", disable=not show):
            try:
                drawn += services.redraw_preview(dataset_id=dataset_id) is not None
            except FileBusy:
                busy += 1
        gone = len(ids) - drawn - busy
        self.stdout.write(self.style.SUCCESS(f"{drawn} previews drawn, {gone} files gone, {busy} busy"))
