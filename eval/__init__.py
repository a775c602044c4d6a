"""Quality evaluation of crosslink's ranking on a CORDIS time split (`python -m eval`)."""
