from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('landing', '0003_page_changes'),
    ]

    operations = [
        # The catalogue owns the model now, beside the datasets' statistics (catalogue 0028); the table stays.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='DocumentStatistics')],
            database_operations=[],
        ),
    ]
