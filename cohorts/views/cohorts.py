"""Cohort features."""
