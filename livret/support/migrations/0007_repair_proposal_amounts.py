"""Issue 13, item 7: a web proposal typed ``1e400`` stored ``inf`` on SQLite, which no read of
the proposal survives (the request's detail was a 500 for good). An amount out of the bounds
``propose_billable`` now enforces (above 0, at most 1,000,000 €) is emptied; the amount as
typed stays in the request's ``billable-proposal`` event. Nothing to undo.
"""

from decimal import Decimal

from django.db import migrations
from django.db.models import Q


def repair(apps, schema_editor):
    """Empty every amount out of (0, 1,000,000] (an update reads no value back)."""
    proposals = apps.get_model("support", "BillableProposal").objects
    proposals.filter(Q(amount_eur__gt=Decimal(1_000_000)) | Q(amount_eur__lte=0)).update(
        amount_eur=None
    )


class Migration(migrations.Migration):
    dependencies = [("support", "0006_event_hash_version")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
