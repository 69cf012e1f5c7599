"""Settings read from the environment; `astral.test_settings` adjusts them for the suite."""

from astral.settings.base import *  # noqa: F403
