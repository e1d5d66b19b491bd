# ApiToken moves to the accounts app (issue 11). Only the migration state changes here: the
# table and its rows stay; accounts.0002_apitoken takes the model over that same table.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0002_alert_per_clock_run'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ApiToken')],
            database_operations=[],
        ),
    ]
