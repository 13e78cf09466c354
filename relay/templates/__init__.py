"""Pre-approved message templates: named fields, human texts per language, an SMS budget per language."""
