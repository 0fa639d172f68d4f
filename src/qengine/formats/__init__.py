"""A compiled form written in other people's formats: a JSON Schema of its records
(:mod:`~qengine.formats.record_schema`) and diagrams of its state machine
(:mod:`~qengine.formats.graph`). Everything here reads a :class:`~qengine.runtime.Form` and its
machine; nothing changes them."""

from __future__ import annotations

from qengine.formats.graph import GRAPH_FORMATS, graph, svg
from qengine.formats.record_schema import record_schema

__all__ = ["GRAPH_FORMATS", "graph", "record_schema", "svg"]
