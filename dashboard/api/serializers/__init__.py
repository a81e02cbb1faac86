"""Input and output serializers of API v1: shape and types only, never business rules."""
