from django.db import migrations, models


def copy_mail(apps, schema_editor):
    """Existing objects take their data's mail, lower-cased (new ones are written with it)."""
    DirectoryObject = apps.get_model("sandbox", "DirectoryObject")
    changed = []
    for obj in DirectoryObject.objects.only("id", "data").iterator(chunk_size=2000):
        if mail := (obj.data.get("mail") or "").lower():
            obj.mail = mail
            changed.append(obj)
    DirectoryObject.objects.bulk_update(changed, ["mail"], batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ('sandbox', '0003_refresh_token_rotation'),
    ]

    operations = [
        migrations.AddField(
            model_name='directoryobject',
            name='mail',
            field=models.CharField(blank=True, db_index=True, default='', max_length=256),
            preserve_default=False,
        ),
        migrations.RunPython(copy_mail, migrations.RunPython.noop),
    ]
