"""The model registry's REST routes: one router the app includes, built from small ones."""

from __future__ import annotations

from fastapi import APIRouter

from mlsteward.interfaces.rest import (
    routes_registry_aliases,
    routes_registry_lookup,
    routes_registry_models,
    routes_registry_reviews,
    routes_registry_versions,
)

router = APIRouter()
for _part in (
    routes_registry_lookup,
    routes_registry_models,
    routes_registry_versions,
    routes_registry_aliases,
    routes_registry_reviews,
):
    router.include_router(_part.router)
