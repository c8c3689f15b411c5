"""Renderers: the typed results of the services as JSON, HTML or terminal output.

Each output shape is stated once here and used by every entry point: the API returns what
`views.json` builds (validated against its OpenAPI schemas), the CLI prints the same JSON with
`--json`, and the pages and printable reports render the same results through `views.html`.
"""
