"""Pure ASGI middlewares (no BaseHTTPMiddleware: it costs a task per request)."""
