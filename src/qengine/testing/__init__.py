"""Hypothesis strategies and whole-form analysis for testing a form's skip logic (in progress)."""
