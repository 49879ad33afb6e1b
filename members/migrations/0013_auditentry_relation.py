from django.db import migrations, models


class Migration(migrations.Migration):
    """An entry's relation: "members" for every entry written before (the default), or "owners"."""

    dependencies = [
        ("members", "0012_background_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="relation",
            field=models.CharField(choices=[("members", "members"), ("owners", "owners")], default="members", max_length=8),
        ),
    ]
