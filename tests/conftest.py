"""Project-wide test set-up."""

# The course's pytest plugin also closes the event loop that looptime leaves behind around sync
# tests (see its docstring); the project's own suite needs that as much as the notebooks do.
pytest_plugins = ["course.cell_plugin"]
