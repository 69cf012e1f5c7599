"""Settings read from the environment; `astral.settings.test` adjusts them for the suite."""

from astral.settings.base import *  # noqa: F403
