"""The service's protocol: models, errors and HTTP clients. Never imports Textual."""
