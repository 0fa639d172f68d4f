"""`qengine serve`: interviews over HTTP, kept in SQLite (docs/server.md).

:mod:`.store` keeps interviews and users, :mod:`.users` says who may do what, :mod:`.api` is the
JSON API, and :mod:`.app` puts them together on uvicorn. Starlette and uvicorn load only here.
"""
