"""Ranked passage retrieval: BM25 over the project's own text analysis, typo correction, character n-grams."""

from bot.retrieval.index import Hit, Retriever

__all__ = ["Hit", "Retriever"]
