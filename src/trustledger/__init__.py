"""trustledger: records, not surveillance; every point explained; nothing permanent."""

__version__ = "0.1.0"
