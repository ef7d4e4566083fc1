"""The console: server-rendered pages for staff and officials, on the API's app."""
