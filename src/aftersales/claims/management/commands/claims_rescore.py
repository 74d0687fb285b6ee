"""`claims_rescore` (`aftersales manage claims_rescore`): refreshes the peer statistics and
rescores every claim in one batch, with a progress bar. Statuses do not change."""

from __future__ import annotations

import os
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from aftersales.claims import scoring


class Command(BaseCommand):
    help = "Refresh the peer statistics and rescore every warranty claim."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="The last day of the peer window (YYYY-MM-DD); today by default.",
        )

    def handle(self, *args, **options):
        today = None
        if options.get("today"):
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(_("--today must be a date (YYYY-MM-DD).")) from exc
        err = Console(stderr=True, soft_wrap=True)
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=False,
            disable=not err.is_terminal and not os.environ.get("AFTERSALES_PROGRESS"),
        )
        started = time.perf_counter()
        with progress:
            task = progress.add_task(_("rescoring claims"), total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total or None)

            count = scoring.rescore_all(progress=advance, today=today)
        self.stdout.write(
            _("Rescored %(count)s claims in %(seconds).1f s.")
            % {"count": count, "seconds": time.perf_counter() - started}
        )
