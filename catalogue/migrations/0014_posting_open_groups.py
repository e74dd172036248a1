"""Each dataset posting carries its dataset's facet group while the dataset is counted open (kept by triggers), so
that a text search's open counts read the text's own postings; the narrow index of open rows' groups that text
counts merged with goes. The posting tables lose their index on term alone, which their unique (term, item) index
already serves."""

import django.db.models.deletion
from django.db import migrations, models

INSTALL = """
CREATE FUNCTION catalogue_open_group(dataset bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT group_id FROM catalogue_datasetfacets WHERE dataset_id = dataset AND counted_open;
$$;

-- Existing postings in one rewrite of the table (indexes rebuilt sorted), where an UPDATE would leave a dead copy
-- of every posting (36M at a million datasets) for VACUUM.
ALTER TABLE catalogue_datasetposting ALTER COLUMN open_group_id TYPE bigint USING catalogue_open_group(dataset_id);
DROP FUNCTION catalogue_open_group;

-- A new posting takes its dataset's group. FOR SHARE: a concurrent change of the facet row either commits first
-- and is read here, or waits for this transaction and then updates the postings it wrote (below).
CREATE FUNCTION catalogue_posting_open_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT CASE WHEN counted_open THEN group_id END INTO NEW.open_group_id
    FROM catalogue_datasetfacets WHERE dataset_id = NEW.dataset_id FOR SHARE;
    RETURN NEW;
END $$;
CREATE TRIGGER posting_open_group BEFORE INSERT ON catalogue_datasetposting
    FOR EACH ROW EXECUTE FUNCTION catalogue_posting_open_group();

-- A facet row written or deleted: its dataset's postings follow its group and whether it is counted open.
CREATE FUNCTION catalogue_facets_posting_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE catalogue_datasetposting p SET open_group_id = NULL
        FROM old_rows o WHERE p.dataset_id = o.dataset_id AND p.open_group_id IS NOT NULL;
    ELSE
        UPDATE catalogue_datasetposting p SET open_group_id = n.open_group
        FROM (SELECT dataset_id, CASE WHEN counted_open THEN group_id END AS open_group FROM new_rows) n
        WHERE p.dataset_id = n.dataset_id AND p.open_group_id IS DISTINCT FROM n.open_group;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER facets_posting_groups_insert AFTER INSERT ON catalogue_datasetfacets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facets_posting_groups();
CREATE TRIGGER facets_posting_groups_update AFTER UPDATE ON catalogue_datasetfacets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facets_posting_groups();
CREATE TRIGGER facets_posting_groups_delete AFTER DELETE ON catalogue_datasetfacets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facets_posting_groups();
"""

UNINSTALL = """
DROP TRIGGER posting_open_group ON catalogue_datasetposting;
DROP TRIGGER facets_posting_groups_insert ON catalogue_datasetfacets;
DROP TRIGGER facets_posting_groups_update ON catalogue_datasetfacets;
DROP TRIGGER facets_posting_groups_delete ON catalogue_datasetfacets;
DROP FUNCTION catalogue_posting_open_group, catalogue_facets_posting_groups;
"""


def term() -> models.ForeignKey:
    return models.ForeignKey(
        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalogue.searchterm"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0013_open_groups_and_ranges'),
    ]

    # Indexes go before the rewrite and the new unique index comes after it, each built once.
    operations = [
        migrations.RemoveConstraint(
            model_name='datasetposting',
            name='dataset_posting_unique',
        ),
        migrations.AlterField(model_name='datasetposting', name='term', field=term()),
        migrations.AlterField(model_name='documentposting', name='term', field=term()),
        migrations.AlterField(model_name='instrumentposting', name='term', field=term()),
        migrations.RemoveIndex(
            model_name='datasetfacets',
            name='facets_open_groups',
        ),
        migrations.AddField(
            model_name='datasetposting',
            name='open_group',
            field=models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='catalogue.facetgroup'),
        ),
        migrations.RunSQL(INSTALL, UNINSTALL),
        migrations.AddConstraint(
            model_name='datasetposting',
            constraint=models.UniqueConstraint(fields=('term', 'dataset'), include=('open_group',), name='dataset_posting_unique'),
        ),
    ]
