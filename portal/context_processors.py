from django.conf import settings


def portal(request):
    """What every page shows about the deployment: which tenant the user is on."""
    return {"sandbox_mode": settings.SANDBOX_MODE}
