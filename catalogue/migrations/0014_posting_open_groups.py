"""Each dataset posting carries its dataset's facet group while the dataset is counted open (kept by triggers), so
that a text search's open counts read the text's own postings; the narrow index of open rows' groups that text
counts merged with goes. The posting tables lose their index on term alone, which their unique (term, item) index
already serves."""

import django.db.models.deletion
from django.db import migrations, models

from catalogue.search.database import InstallSearchSQL

FILL = """
CREATE FUNCTION catalogue_open_group(dataset bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT group_id FROM catalogue_datasetfacets WHERE dataset_id = dataset AND counted_open;
$$;

-- Existing postings in one rewrite of the table (indexes rebuilt sorted), where an UPDATE would leave a dead copy
-- of every posting (36M at a million datasets) for VACUUM.
ALTER TABLE catalogue_datasetposting ALTER COLUMN open_group_id TYPE bigint USING catalogue_open_group(dataset_id);
DROP FUNCTION catalogue_open_group;
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
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        # The triggers of catalogue/search/sql/posting_groups.sql.
        InstallSearchSQL(files=("posting_groups.sql",), creates=True),
        migrations.AddConstraint(
            model_name='datasetposting',
            constraint=models.UniqueConstraint(fields=('term', 'dataset'), include=('open_group',), name='dataset_posting_unique'),
        ),
    ]
