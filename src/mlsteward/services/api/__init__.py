"""What travels between a client and the services: request and response models (pydantic)
and one wire encoding per entity, shared by the REST routes and the SDK's HTTP transport."""
