"""Channel adapters: one module per provider, plus the contract in `base.py` and local simulators."""
