"""Ranked passage retrieval (BM25 over the project's own text analysis)."""

from bot.retrieval.index import Hit, Retriever

__all__ = ["Hit", "Retriever"]
