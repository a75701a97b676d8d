"""Trade: opening a subscriber's trade for a call, closing a position."""
