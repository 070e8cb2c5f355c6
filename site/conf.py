"""Sphinx configuration of the course's website (built by ``python scripts/build_site.py``).

The pages are the notebooks as stored: chapters, exercises (never solutions) and docs. Nothing is
executed (``nb_execution_mode = "off"``): nbval already proves that every stored output is what the
code prints today, so the site shows exactly what a learner sees. docs/site.md says why this stack.
"""

project = "Testing Async Python"
author = "the course authors"
copyright = "the course authors"

extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
}
html_last_updated_fmt = None
html_show_sourcelink = False
