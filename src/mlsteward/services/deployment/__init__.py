"""The deployment service: deployment records (the control plane), their history, and the
serving plan a data plane follows.

Rules live in :mod:`.records`; the operations a client calls are declared in
:mod:`.operations`; reading a model version's signature is :mod:`.signatures`.
"""
