"""Customs officers: accounts, roles, passwords and login sessions."""
