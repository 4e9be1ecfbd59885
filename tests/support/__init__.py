"""Helpers shared by the test modules (no test module imports another): seed paths and
parses, generated documents, a live server, the browser driver, ärende lookups."""
