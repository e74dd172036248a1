"""Teach the planner that a parameter's name decides its dimension: without these statistics it multiplies the two
selectivities, underestimates parameter conditions tenfold and picks hash plans that read every matching row."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_panosc_access_paths")]

    operations = [
        migrations.RunSQL(
            "CREATE STATISTICS IF NOT EXISTS parameter_name_dimension (dependencies, ndistinct) "
            "ON name, dimension FROM catalogue_parameter",
            "DROP STATISTICS IF EXISTS parameter_name_dimension",
        ),
    ]
