"""The project's spaCy pipeline, built from our terminology, and the text analysis built on it."""
