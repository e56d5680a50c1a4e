"""Accounts, roles and the e-mail they are sent: who may do what."""
