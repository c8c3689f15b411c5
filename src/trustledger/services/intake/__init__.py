"""Intake: records from authorized sources (files and the API), their later events, sources."""
