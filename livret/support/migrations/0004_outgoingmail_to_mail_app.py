"""The outbox moves to its own app (``livret.mail``, docs/decisions/0007).

Every row is copied with its id (a mail waiting for a retry keeps its ``Message-ID``); the
foreign key to the request becomes ``thread``, the request's number; then the old table is
dropped. Going back copies the rows the other way and empties the new table.
"""

from django.core.management.color import no_style
from django.db import migrations

# The columns both tables share (the old one also has ``request_id``, the new one ``thread``).
COLUMNS = (
    "id", "to", "subject", "body", "reason", "status", "attempts", "claimed_at", "sent_at",
    "last_error", "created_at",
)


def _copy(apps, schema_editor, *, back):
    """INSERT … SELECT every row into the other table, then move its id sequence on."""
    old = apps.get_model("support", "OutgoingMail")
    new = apps.get_model("mail", "OutgoingMail")
    requests = apps.get_model("support", "Request")._meta.db_table
    if back:
        source, target = new, old
        link, value, join = "request_id", "r.id", "s.thread <> '' AND r.number = s.thread"
    else:
        source, target = old, new
        link, value, join = "thread", "COALESCE(r.number, '')", "r.id = s.request_id"
    q = schema_editor.quote_name
    columns = ", ".join(q(c) for c in COLUMNS)
    selected = ", ".join(f"s.{q(c)}" for c in COLUMNS)
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(target._meta.db_table)} ({columns}, {link}) "
            f"SELECT {selected}, {value} FROM {q(source._meta.db_table)} s "
            f"LEFT JOIN {q(requests)} r ON {join}"
        )
        for statement in connection.ops.sequence_reset_sql(no_style(), [target]):
            cursor.execute(statement)
    if back:
        new.objects.using(connection.alias).all().delete()


def to_mail_app(apps, schema_editor):
    _copy(apps, schema_editor, back=False)


def back_to_support(apps, schema_editor):
    _copy(apps, schema_editor, back=True)


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0003_move_apitoken_to_accounts'),
        ('mail', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(to_mail_app, back_to_support),
        migrations.DeleteModel(name='OutgoingMail'),
    ]
