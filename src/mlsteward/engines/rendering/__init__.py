"""HTML and Markdown pages from the package's templates, through one Jinja environment.

Monitoring reports, model cards and data profiles all render here, so every page gets the
same settings: HTML escaped, Markdown left as written, a missing value an error.
"""

from mlsteward.engines.rendering.environment import environment, render

__all__ = ["environment", "render"]
