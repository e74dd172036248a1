"""manage.py panosc_selftest --base-url URL: the portal's standard requests against any PaNOSC endpoint."""

from django.core.management.base import BaseCommand, CommandError

from catalogue.panosc.selftest import run


class Command(BaseCommand):
    help = "Send the federation portal's standard requests to a PaNOSC Search API and print a pass/fail table."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base-url", required=True, help="e.g. https://catalogue.example.org/panosc-api")
        parser.add_argument("--timeout", type=float, default=10.0)

    def handle(self, *args: object, base_url: str, timeout: float, **options: object) -> None:
        outcomes = run(base_url=base_url, timeout=timeout)
        width = max(len(outcome.name) for outcome in outcomes)
        for outcome in outcomes:
            mark = "PASS" if outcome.passed else "FAIL"
            self.stdout.write(f"{outcome.name:{width}}  {mark}  {outcome.milliseconds:7.0f} ms  {outcome.detail}")
        failed = [outcome for outcome in outcomes if not outcome.passed]
        if failed:
            raise CommandError(f"{len(failed)} of {len(outcomes)} checks failed")
        self.stdout.write(self.style.SUCCESS(f"all {len(outcomes)} checks passed"))
