"""The side effects of the workflow: the event store, its read models and outbox, and the
Temporal activities that use them. Imports only `domain`, never workflows, migrations or a
front door."""
