"""Matchmaking: "introduce A (who needs X) to B (who knows X)" suggestions.

``core`` is the pure matching; ``service`` reads the rep's contacts and keeps their
``IntroSuggestion`` rows in step.
"""
