"""The HTTP API (DESIGN.md §3b): FastAPI routes over the application core.

`server.create_app(settings)` builds the app; `problems` maps every typed error to one RFC 9457
problem; `models` holds the strict request bodies, derived from the contract's requests; the
routes live one topic to a module. `partnerships api` serves it with uvicorn.
"""
