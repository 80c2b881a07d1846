"""Identity services: accounts, passwords, API tokens, grants, signing in, and the role policy
that decides what a signed-in principal may do.

Each module holds one concept: :mod:`.passwords` (Argon2 hashes and strength rules),
:mod:`.token_secrets` (what a token's secret looks like and how it is stored),
:mod:`.accounts`, :mod:`.api_tokens` and :mod:`.grants` (the records and their rules),
:mod:`.authentication` (checking credentials, with rate limiting), :mod:`.login`,
:mod:`.role_policy` (the policy a server runs with) and :mod:`.operations` (the declared
``identity.*`` operations).
"""
