"""Many records against one form: JSON Lines, CSV and Excel files, in worker processes or on a
dask cluster (``qengine.batch.dask``, with the ``dask`` extra).

:func:`validate_stream` validates an iterable of records (giving reports) or a binary stream of
JSON Lines (giving :class:`RecordResult` objects, each a report with its line), in order, in one
process or in ``jobs`` of them.
"""

from qengine.batch.jsonl import MAX_LINE_BYTES, RecordResult, Summary, validate_stream

__all__ = ["MAX_LINE_BYTES", "RecordResult", "Summary", "validate_stream"]
