"""The search functions and triggers, until now written by migrations 0006, 0007, 0012 and 0014, re-created from
catalogue/search/sql/ (the same definitions): from here on the files are where they are read and changed."""

from django.db import migrations

from catalogue.search.database import InstallSearchSQL


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0024_dataset_file_dataset"),
    ]

    operations = [InstallSearchSQL()]
