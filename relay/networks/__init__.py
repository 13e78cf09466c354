"""Community relay networks: ACKs, escalation, confirmation polls, channel failover."""
