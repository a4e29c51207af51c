"""Channels the Rasa server opens beyond its built-in ones (custom `InputChannel` subclasses)."""
