"""Alert-fatigue controls: quiet hours, a daily cap on non-crisis messages, LESS/MORE, a person's time zone."""
