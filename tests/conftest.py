"""Shared fixtures for the tests that run without Odoo."""
