"""Decide: what one user does with one call (conflicts, risk, sizing), today's loss, the user's risk settings."""
