"""Indexes for the PaNOSC API's access paths (spec §11) on tables whose models other modules own: kept as raw SQL
so that the models' state (and `makemigrations --check`) is untouched. The lead may fold them into Meta.indexes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_search_index")]

    operations = [
        # query-less /Documents pages are ordered by lower(title), pid (spec §7)
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS document_title_lower ON catalogue_document (lower(title), pid)",
            "DROP INDEX IF EXISTS document_title_lower",
        ),
        # /Instruments pages, same rule
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS instrument_name_lower ON catalogue_instrument (lower(name), pid)",
            "DROP INDEX IF EXISTS instrument_name_lower",
        ),
        # parameter conditions with a unit context compare value_si within one dimension (spec §4.2)
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS parameter_name_dimension_si ON catalogue_parameter (name, dimension, value_si)",
            "DROP INDEX IF EXISTS parameter_name_dimension_si",
        ),
        # get-by-pid of a DOI in another letter case (spec §1.3)
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS dataset_pid_upper ON catalogue_dataset (upper(pid))",
            "DROP INDEX IF EXISTS dataset_pid_upper",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS document_pid_upper ON catalogue_document (upper(pid))",
            "DROP INDEX IF EXISTS document_pid_upper",
        ),
    ]
