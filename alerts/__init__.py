"""What is broadcast and when: crisis protocol, webinars, CAP (built on the relay core's API)."""
