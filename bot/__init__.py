"""scholar-digest: Google Scholar alerts and arXiv listings in, one daily digest out."""

__version__ = "0.1.0"
