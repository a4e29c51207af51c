"""Editing the curated content from the editors' shell: accounts, sessions, the change log and the YAML files.

The content files under `content/` stay the source of truth: the shell edits a passage's entry in its file,
validates the whole folder exactly as `make content` does, and loads it. Nothing here serves HTTP; the
editors' channel (`bot.channels.editor_editing`) calls it.
"""
