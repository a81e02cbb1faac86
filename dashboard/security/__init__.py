"""Who may sign in and how: lockout, the second factor, session rules and API tokens."""
