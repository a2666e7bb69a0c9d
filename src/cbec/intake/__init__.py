"""Intake: the front door for enterprise messages."""
