"""Clearance: three-document match, checks, tax, quota, decisions, the state machine."""
