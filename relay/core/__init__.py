"""The core: configuration, storage, audit, leases, permissions, subscribers, the Service shape."""
