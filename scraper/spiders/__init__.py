"""Spiders: finding pages and fetching them politely. One generic spider per site profile."""
