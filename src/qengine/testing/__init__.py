"""Testing a form's skip logic: hypothesis strategies built from any compiled form.

This is the only part of qengine that imports hypothesis.
"""

from __future__ import annotations

from .strategies import answers, records

__all__ = ["answers", "records"]
