"""ke-papers: the Knowledge Editing for LLMs paper list as one BibTeX file, and its CLI."""

__version__ = "0.1.0"
