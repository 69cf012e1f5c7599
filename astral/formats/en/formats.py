"""One date style everywhere, Django's own pages (the admin, `{{ a_date }}`) included:
"Sun 6 Dec 2026", "Sun 6 Dec 2026, 22:58". Django's English locale would write
"Dec. 6, 2026" and "12/06/2026"; this module replaces it (settings.FORMAT_MODULE_PATH)."""

DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1  # Monday, as the training week
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
