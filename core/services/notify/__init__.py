"""Notify: notifications stored off the trading path, the delivery job, market-data alerts."""
