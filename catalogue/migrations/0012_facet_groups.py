"""Each facet row's combination of facet keys as one integer (catalogue.models.facets.FacetGroup), kept by a
trigger, and a narrow index of the open rows' groups by dataset for the counts of text searches."""

import django.db.models.deletion
from django.db import migrations, models

KEYS = ["technique_set_id", "instrument_id", "facility_id", "year", "file_format"]
_KEY_LIST = ", ".join(KEYS)
# NULL formats as '' and the format is quoted, so that two combinations never share a key.
_KEY_OF = "format('%s/%s/%s/%s/%s', {0}technique_set_id, {0}instrument_id, {0}facility_id, {0}year, quote_nullable({0}file_format))"

INSTALL = f"""
-- Existing rows first, set-based; the row trigger below keeps every later write.
INSERT INTO catalogue_facetgroup (key, {_KEY_LIST})
SELECT DISTINCT {_KEY_OF.format("")}, {_KEY_LIST} FROM catalogue_datasetfacets;
UPDATE catalogue_datasetfacets f SET group_id = g.id FROM catalogue_facetgroup g WHERE g.key = {_KEY_OF.format("f.")};

CREATE FUNCTION catalogue_facets_group() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted text := {_KEY_OF.format("NEW.")};
BEGIN
    SELECT id INTO NEW.group_id FROM catalogue_facetgroup WHERE key = wanted;
    IF NEW.group_id IS NULL THEN
        INSERT INTO catalogue_facetgroup (key, {_KEY_LIST})
        VALUES (wanted, NEW.technique_set_id, NEW.instrument_id, NEW.facility_id, NEW.year, NEW.file_format)
        ON CONFLICT (key) DO NOTHING RETURNING id INTO NEW.group_id;
    END IF;
    IF NEW.group_id IS NULL THEN  -- another writer added it since our first look (a fresh snapshot sees it)
        SELECT id INTO NEW.group_id FROM catalogue_facetgroup WHERE key = wanted;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER facets_group_insert BEFORE INSERT ON catalogue_datasetfacets
    FOR EACH ROW EXECUTE FUNCTION catalogue_facets_group();
CREATE TRIGGER facets_group_update BEFORE UPDATE ON catalogue_datasetfacets
    FOR EACH ROW WHEN (({", ".join("NEW." + key for key in KEYS)}) IS DISTINCT FROM ({", ".join("OLD." + key for key in KEYS)}))
    EXECUTE FUNCTION catalogue_facets_group();
"""

UNINSTALL = """
DROP TRIGGER facets_group_insert ON catalogue_datasetfacets;
DROP TRIGGER facets_group_update ON catalogue_datasetfacets;
DROP FUNCTION catalogue_facets_group;
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
        migrations.RunSQL(INSTALL, UNINSTALL),
        migrations.AlterField(
            model_name='datasetfacets',
            name='group',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='catalogue.facetgroup'),
        ),
    ]
