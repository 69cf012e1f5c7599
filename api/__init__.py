"""The JSON API under /api/v1/: each app's endpoints, above the apps whose services they call.

The conventions every endpoint shares (errors, pagination, parsers, the schema) live in
`astral.api`; the domain (models, services, selectors) in `athletes`, `organizations` and
`analytics`."""
