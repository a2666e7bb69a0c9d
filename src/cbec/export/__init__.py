"""Exports (9610, 9710, 9810, bonded 1210): export orders and lists released one by one,
and the month's released summary-flag lists gathered into export declarations."""
