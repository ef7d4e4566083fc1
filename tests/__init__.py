"""The test suite: unit, integration, workflow and end-to-end tests, and recorded histories."""
