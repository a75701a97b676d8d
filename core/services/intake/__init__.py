"""Intake: a provider's message comes in, is stored, parsed and handed on; provider records and formats."""
