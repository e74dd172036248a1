"""The range indexes of open rows also carry the dataset and the count of values: for a text and a range together,
and for a range with both bounds."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0014_posting_open_groups'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='datasetfacets',
            name='facets_open_temperature_low',
        ),
        migrations.RemoveIndex(
            model_name='datasetfacets',
            name='facets_open_temperature_high',
        ),
        migrations.RemoveIndex(
            model_name='datasetfacets',
            name='facets_open_wavelength_low',
        ),
        migrations.RemoveIndex(
            model_name='datasetfacets',
            name='facets_open_wavelength_high',
        ),
        migrations.RemoveIndex(
            model_name='datasetfacets',
            name='facets_open_energy_low',
        ),
        migrations.RemoveIndex(
            model_name='datasetfacets',
            name='facets_open_energy_high',
        ),
        migrations.RemoveIndex(
            model_name='datasetfacets',
            name='facets_open_pressure_low',
        ),
        migrations.RemoveIndex(
            model_name='datasetfacets',
            name='facets_open_pressure_high',
        ),
        migrations.AddIndex(
            model_name='datasetfacets',
            index=models.Index(condition=models.Q(('counted_open', True)), fields=['temperature_low'], include=('group', 'dataset', 'temperature_count'), name='facets_open_temperature_low'),
        ),
        migrations.AddIndex(
            model_name='datasetfacets',
            index=models.Index(condition=models.Q(('counted_open', True)), fields=['temperature_high'], include=('group', 'dataset', 'temperature_count'), name='facets_open_temperature_high'),
        ),
        migrations.AddIndex(
            model_name='datasetfacets',
            index=models.Index(condition=models.Q(('counted_open', True)), fields=['wavelength_low'], include=('group', 'dataset', 'wavelength_count'), name='facets_open_wavelength_low'),
        ),
        migrations.AddIndex(
            model_name='datasetfacets',
            index=models.Index(condition=models.Q(('counted_open', True)), fields=['wavelength_high'], include=('group', 'dataset', 'wavelength_count'), name='facets_open_wavelength_high'),
        ),
        migrations.AddIndex(
            model_name='datasetfacets',
            index=models.Index(condition=models.Q(('counted_open', True)), fields=['energy_low'], include=('group', 'dataset', 'energy_count'), name='facets_open_energy_low'),
        ),
        migrations.AddIndex(
            model_name='datasetfacets',
            index=models.Index(condition=models.Q(('counted_open', True)), fields=['energy_high'], include=('group', 'dataset', 'energy_count'), name='facets_open_energy_high'),
        ),
        migrations.AddIndex(
            model_name='datasetfacets',
            index=models.Index(condition=models.Q(('counted_open', True)), fields=['pressure_low'], include=('group', 'dataset', 'pressure_count'), name='facets_open_pressure_low'),
        ),
        migrations.AddIndex(
            model_name='datasetfacets',
            index=models.Index(condition=models.Q(('counted_open', True)), fields=['pressure_high'], include=('group', 'dataset', 'pressure_count'), name='facets_open_pressure_high'),
        ),
    ]
