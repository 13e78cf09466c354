"""The application: the CLI, Program (run | serve | worker | demo), the web assembly, the Feature list."""
