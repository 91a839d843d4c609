"""Use cases: what each command does, as functions that take plain values and return data.

Nothing here prints, exits or knows about options: the CLI parses, calls one function
from here, and renders what it returns. Tests call these directly.
"""
