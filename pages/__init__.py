"""Server-rendered pages: every view, form and page helper, above the apps whose services they call."""
