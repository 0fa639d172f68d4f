"""The fuzz suite (issue "Hostile input on every surface"): one module per surface, one contract.

Every property here asserts the same contract on hostile input: only qengine's own exception types
escape; a refused answer changes nothing; what is handed out is a copy; snapshots survive JSON; and the
risky cases (huge numbers, deep nesting, long rules) finish in bounded time and memory, each in a
subprocess of its own. ``python -m tests.fuzz --budget SECONDS`` runs the same properties for longer.
"""
