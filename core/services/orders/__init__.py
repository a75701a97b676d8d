"""Orders: intents stored before any venue call, sent once, their reports folded into positions; gateway routing
and the paper exchange's storage."""
