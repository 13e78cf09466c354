"""Protocol-faithful local simulators of the providers, for the sandbox and the tests."""
