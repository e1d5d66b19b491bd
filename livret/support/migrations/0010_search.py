"""Issue 12, search (decision 0012): one search document per request, its database's index,
and the documents of the requests that exist.

- PostgreSQL: two generated ``tsvector`` columns, ``public`` (what a client may find) and
  ``public || internal`` (the vendor), each with a GIN index. The documents hold French lexemes
  already (``livret.core.search_text``), so the ``simple`` configuration takes them as they
  are. Generated columns follow every write of the row, whoever writes it; no extension.
- SQLite: an FTS5 table over the documents (external content, ``unicode61``, diacritics
  removed), kept by triggers on insert, update and delete.

The backfill reads the historical models through ``livret.support.search.rebuild_documents``
(its text rules are pure functions of the rows); ``livret search rebuild`` does it again.
"""

import django.db.models.deletion
from django.db import migrations, models

FTS = "support_searchdocument_fts"

POSTGRESQL = [
    "ALTER TABLE support_searchdocument"
    " ADD COLUMN public_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, public)) STORED,"
    " ADD COLUMN vendor_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, public || ' ' || internal)) STORED",
    "CREATE INDEX support_search_public ON support_searchdocument USING gin (public_vector)",
    # A search reads the request ids only: the long texts and vectors stored out of line keep
    # the table's pages few (a word in a third of 1,000,000 requests reads 15,000, not 500,000).
    "ALTER TABLE support_searchdocument SET (toast_tuple_target = 128)",
    "CREATE INDEX support_search_vendor ON support_searchdocument USING gin (vendor_vector)",
]
POSTGRESQL_UNDO = [
    "ALTER TABLE support_searchdocument DROP COLUMN public_vector, DROP COLUMN vendor_vector",
]
SQLITE = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(public, internal,"
    " content='support_searchdocument', content_rowid='request_id',"
    " tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON support_searchdocument BEGIN"
    f" INSERT INTO {FTS}(rowid, public, internal)"
    " VALUES (new.request_id, new.public, new.internal); END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON support_searchdocument BEGIN"
    f" INSERT INTO {FTS}({FTS}, rowid, public, internal)"
    " VALUES ('delete', old.request_id, old.public, old.internal); END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE ON support_searchdocument BEGIN"
    f" INSERT INTO {FTS}({FTS}, rowid, public, internal)"
    " VALUES ('delete', old.request_id, old.public, old.internal);"
    f" INSERT INTO {FTS}(rowid, public, internal)"
    " VALUES (new.request_id, new.public, new.internal); END",
]
SQLITE_UNDO = [
    f"DROP TRIGGER {FTS}_insert",
    f"DROP TRIGGER {FTS}_delete",
    f"DROP TRIGGER {FTS}_update",
    f"DROP TABLE {FTS}",
]


def _run(schema_editor, statements):
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement)


def create_index(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL, "sqlite": SQLITE})


def drop_index(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_UNDO, "sqlite": SQLITE_UNDO})


def fill(apps, schema_editor):
    from livret.support.search import rebuild_documents

    rebuild_documents(
        apps.get_model("support", "Request"),
        apps.get_model("support", "SearchDocument"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [("support", "0009_queue_rows_index"), ("tenants", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "request",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="support.request",
                    ),
                ),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenants.client",
                    ),
                ),
                ("public", models.TextField(blank=True)),
                ("internal", models.TextField(blank=True)),
            ],
            options={
                "verbose_name": "texte de recherche",
                "verbose_name_plural": "textes de recherche",
            },
        ),
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
