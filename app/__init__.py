"""The application core: what every front door (the CLI, the HTTP API, the console) does.

It starts partnerships and sends their steps through Temporal, and reads the board, a
partnership, its record and its reports. It knows no transport: it raises the typed errors of
`app.exceptions`, and each front door maps them once to its exit codes or HTTP statuses and adds
its own hints.
"""
