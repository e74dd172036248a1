import django.db.models.deletion
from django.db import migrations, models

# A dataset's view and download counts move from its row to a statistics row of its own, like a document's (moved
# here from the landing app, its table kept): counting a visit or a download then no longer updates the dataset row,
# which fired its facet, record-stamp and page-change triggers (~10 ms at a million datasets) under the row's lock,
# so that concurrent visitors of a page queued behind each other. Only datasets with a count get a row.
COPY = """
INSERT INTO catalogue_datasetstatistics (dataset_id, view_count, download_count, outside_download_count)
SELECT id, view_count, download_count, outside_download_count FROM catalogue_dataset
WHERE (view_count, download_count, outside_download_count) <> (0, 0, 0);
"""
COPY_BACK = """
UPDATE catalogue_dataset d
SET view_count = s.view_count, download_count = s.download_count, outside_download_count = s.outside_download_count
FROM catalogue_datasetstatistics s WHERE s.dataset_id = d.id;
"""
# The triggers that named the counters (catalogue 0019, landing 0003) are made again without them; landing pages show
# the download counts, so a change of them still changes the page generation (landing.services.page_cache).
TRIGGERS = """
DROP TRIGGER dataset_record_changed ON catalogue_dataset;
CREATE TRIGGER dataset_record_changed BEFORE INSERT OR UPDATE ON catalogue_dataset FOR EACH ROW
    EXECUTE FUNCTION catalogue_record_changed('record_changed_at', 'modified_at', 'ingested_at', 'raw_metadata');
DROP TRIGGER landing_page_row_changed ON catalogue_dataset;
CREATE TRIGGER landing_page_row_changed AFTER UPDATE ON catalogue_dataset FOR EACH ROW
    WHEN ((OLD.record_changed_at, OLD.ingested_at) IS DISTINCT FROM (NEW.record_changed_at, NEW.ingested_at))
    EXECUTE FUNCTION landing_page_changed();
CREATE TRIGGER landing_page_downloads_counted AFTER INSERT ON catalogue_datasetstatistics FOR EACH ROW
    WHEN ((NEW.download_count, NEW.outside_download_count) <> (0, 0))
    EXECUTE FUNCTION landing_page_changed();
CREATE TRIGGER landing_page_downloads_changed AFTER UPDATE ON catalogue_datasetstatistics FOR EACH ROW
    WHEN ((OLD.download_count, OLD.outside_download_count) IS DISTINCT FROM (NEW.download_count, NEW.outside_download_count))
    EXECUTE FUNCTION landing_page_changed();
"""
TRIGGERS_BACK = """
DROP TRIGGER landing_page_downloads_changed ON catalogue_datasetstatistics;
DROP TRIGGER landing_page_downloads_counted ON catalogue_datasetstatistics;
DROP TRIGGER landing_page_row_changed ON catalogue_dataset;
CREATE TRIGGER landing_page_row_changed AFTER UPDATE ON catalogue_dataset FOR EACH ROW
    WHEN ((OLD.record_changed_at, OLD.ingested_at, OLD.download_count, OLD.outside_download_count)
          IS DISTINCT FROM (NEW.record_changed_at, NEW.ingested_at, NEW.download_count, NEW.outside_download_count))
    EXECUTE FUNCTION landing_page_changed();
DROP TRIGGER dataset_record_changed ON catalogue_dataset;
CREATE TRIGGER dataset_record_changed BEFORE INSERT OR UPDATE ON catalogue_dataset FOR EACH ROW
    EXECUTE FUNCTION catalogue_record_changed(
        'record_changed_at', 'modified_at', 'view_count', 'download_count', 'outside_download_count',
        'ingested_at', 'raw_metadata');
"""


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0027_search_sql_files'),
        ('landing', '0004_document_statistics_move_to_catalogue'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DocumentStatistics',
                    fields=[
                        ('view_count', models.PositiveIntegerField(default=0)),
                        (
                            'document',
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name='statistics',
                                serialize=False,
                                to='catalogue.document',
                            ),
                        ),
                    ],
                    options={
                        'verbose_name_plural': 'document statistics',
                        'db_table': 'landing_documentstatistics',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name='DatasetStatistics',
            fields=[
                ('view_count', models.PositiveIntegerField(default=0)),
                (
                    'dataset',
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name='statistics',
                        serialize=False,
                        to='catalogue.dataset',
                    ),
                ),
                ('download_count', models.PositiveIntegerField(default=0)),
                (
                    'outside_download_count',
                    models.PositiveIntegerField(default=0, help_text='Downloads by people outside the team.'),
                ),
            ],
            options={
                'verbose_name_plural': 'dataset statistics',
            },
        ),
        migrations.RunSQL(COPY, COPY_BACK),
        migrations.RunSQL(TRIGGERS, TRIGGERS_BACK),
        migrations.RemoveField(model_name='dataset', name='view_count'),
        migrations.RemoveField(model_name='dataset', name='download_count'),
        migrations.RemoveField(model_name='dataset', name='outside_download_count'),
    ]
