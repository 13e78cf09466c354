"""Bridged rooms: a Telegram group, a Matrix room and an SMS list as one conversation."""
