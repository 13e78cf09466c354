"""A test-only channel package: proof that a new channel is one module and one registry line."""
