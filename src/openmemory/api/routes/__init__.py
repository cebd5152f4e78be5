"""The REST routers, one module per upstream route group; each handler is a few lines over Memory."""
