"""The curated content: YAML files validated by the loader and kept in a SQL store."""
