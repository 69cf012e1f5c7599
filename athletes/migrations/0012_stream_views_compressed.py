# The page views of a stream, compressed like its samples: dropped and added again (a JSON
# column cannot be cast to bytes; an empty value is recomputed from the samples when read,
# and `manage.py rebuild_efforts` stores it again).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("athletes", "0011_import_batch"),
    ]

    operations = [
        migrations.RemoveField(model_name="activitystream", name="views"),
        migrations.AddField(
            model_name="activitystream",
            name="views",
            field=models.BinaryField(blank=True, default=b""),
        ),
    ]
