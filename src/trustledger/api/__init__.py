"""The HTTP API `/v1`: thin routes over the services, the same answers as the CLI."""

from trustledger.api.app import create_app

__all__ = ["create_app"]
