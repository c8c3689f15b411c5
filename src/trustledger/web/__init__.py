"""Pages: Jinja2 templates over the services' answers."""
