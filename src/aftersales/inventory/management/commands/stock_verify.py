"""`stock_verify`: recomputes every stock balance from the ledger and prints OK, or each
difference and exits non-zero."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from aftersales.inventory.selectors import stock_verify


class Command(BaseCommand):
    help = "Check that every stock balance equals the stock ledger."

    def handle(self, *args, **options):
        differences = stock_verify()
        if not differences:
            self.stdout.write(_("OK: every balance equals the ledger."))
            return
        for d in differences:
            self.stdout.write(
                _("%(what)s %(part)s at %(location)s: book %(book)s, ledger %(ledger)s")
                % {
                    "what": d.what,
                    "part": d.part,
                    "location": d.location or "-",
                    "book": d.book,
                    "ledger": d.ledger,
                }
            )
        raise CommandError(
            _("%(n)s difference(s) between the balances and the ledger.") % {"n": len(differences)}
        )
