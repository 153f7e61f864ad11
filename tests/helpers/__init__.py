"""Shared test helpers (namespaces, tools); imported as `tests.helpers`."""
