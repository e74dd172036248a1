"""The search functions and triggers re-created from catalogue/search/sql/ (the same definitions as migrations 0006,
0007, 0012 and 0014 left), so that a database migrated before those read the files runs the files' SQL too."""

from django.db import migrations

from catalogue.search.database import InstallSearchSQL


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0026_document_release_date"),
    ]

    operations = [InstallSearchSQL()]
