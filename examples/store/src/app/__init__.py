"""The store example: users with nested addresses, and products with a custom repository."""
