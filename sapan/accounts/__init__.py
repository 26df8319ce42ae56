"""Accounts: users, organization memberships and roles, API tokens, permission checks."""
