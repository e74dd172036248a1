"""Each facet row's combination of facet keys as one integer (catalogue.models.facets.FacetGroup), kept by a
trigger, and a narrow index of the open rows' groups by dataset for the counts of text searches."""

import django.db.models.deletion
from django.db import migrations, models

from catalogue.search.database import InstallSearchSQL

KEYS = ["technique_set_id", "instrument_id", "facility_id", "year", "file_format"]
_KEY_LIST = ", ".join(KEYS)
# NULL formats as '' and the format is quoted, so that two combinations never share a key.
_KEY_OF = "format('%s/%s/%s/%s/%s', {0}technique_set_id, {0}instrument_id, {0}facility_id, {0}year, quote_nullable({0}file_format))"

# Existing rows first, set-based; the row trigger of catalogue/search/sql/facet_groups.sql keeps every later write.
FILL = f"""
INSERT INTO catalogue_facetgroup (key, {_KEY_LIST})
SELECT DISTINCT {_KEY_OF.format("")}, {_KEY_LIST} FROM catalogue_datasetfacets;
UPDATE catalogue_datasetfacets f SET group_id = g.id FROM catalogue_facetgroup g WHERE g.key = {_KEY_OF.format("f.")};
"""


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0011_facets_open_by_dataset'),
    ]

    operations = [
        migrations.CreateModel(
            name='FacetGroup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.TextField(help_text='The keys as one string, so that one index lookup finds them.', unique=True)),
                ('instrument_id', models.BigIntegerField(null=True)),
                ('facility_id', models.BigIntegerField(null=True)),
                ('year', models.SmallIntegerField(null=True)),
                ('file_format', models.CharField(blank=True, max_length=32)),
                ('technique_set', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='catalogue.techniqueset')),
            ],
        ),
        migrations.AddField(
            model_name='datasetfacets',
            name='group',
            field=models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='catalogue.facetgroup'),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        InstallSearchSQL(keys=tuple(KEYS), files=("facet_groups.sql",), creates=True),
        migrations.AlterField(
            model_name='datasetfacets',
            name='group',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='catalogue.facetgroup'),
        ),
    ]
