from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The server-rendered pages: no models, its template tags and URLs only."""

    name = "pages"
