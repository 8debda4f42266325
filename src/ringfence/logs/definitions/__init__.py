"""Log-source definitions stored in the database, edited in the UI and kept in step with TOML files."""
