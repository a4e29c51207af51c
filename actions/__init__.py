"""Custom actions for Rasa; the logic lives in `bot`."""
