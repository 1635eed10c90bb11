"""
Sphinx configuration of the sb3-maxent documentation (the sb3-contrib way: Sphinx, autodoc, Read the Docs theme).

The pages are the Markdown files of ``docs/`` as they are on GitHub (read by myst-parser); the API reference
(``docs/api/``) is generated from the docstrings. Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

import inspect
import os
import re
import sys

# The package from this checkout, even when it is not installed
sys.path.insert(0, os.path.abspath(".."))

from sphinx.util.inspect import signature as sphinx_signature
from sphinx.util.typing import stringify_annotation

from sb3_maxent import __version__

project = "sb3-maxent"
author = "sb3-maxent contributors"
copyright = "sb3-maxent contributors, MIT license"
version = __version__
release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Anchors of the Markdown headings, as GitHub makes them (the pages link to each other's sections)
myst_heading_anchors = 4

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": True}

html_theme = "sphinx_rtd_theme"
html_title = f"sb3-maxent {version}"


# A page's link to a module's file (``[...](../sb3_maxent/dspg/dspg.py)``, which GitHub shows) goes to that module's
# API reference on the site
_MODULE_FILE_LINK = re.compile(r"\]\(\.\./(sb3_maxent/[\w/]+)\.py\)")


def _source_read(app, docname, source):
    # The tables under results/ (written by the benchmark scripts) are pages outside the table of contents: marked
    # orphan here rather than in the generated files
    if docname.startswith("results/"):
        source[0] = "---\norphan: true\n---\n" + source[0]
    source[0] = _MODULE_FILE_LINK.sub(lambda match: "](#" + match.group(1).replace("/", ".") + ")", source[0])


def _inherited_docstring_source(obj):
    """The module of the class whose docstring a method without one of its own inherits (``None``: not such a method)."""
    function = getattr(obj, "__func__", obj)
    if not inspect.isfunction(function) or function.__doc__ is not None:
        return None
    owner = sys.modules.get(function.__module__)
    for part in function.__qualname__.split(".")[:-1]:
        owner = getattr(owner, part, None)
    if not inspect.isclass(owner):
        return None
    for base in owner.__mro__[1:]:
        inherited = base.__dict__.get(function.__name__)
        if inherited is not None and getattr(inherited, "__doc__", None):
            return base.__module__
    return None


def _skip_member(app, what, name, obj, skip, options):
    # Inherited docstrings are shown when they come from SB3 (reST like ours), not from Gymnasium or PyTorch (other
    # docstring formats, not valid reST): e.g. ``TabularMDPEnv.step`` would show ``gymnasium.Env.step``'s
    source = _inherited_docstring_source(obj)
    if source is not None and not source.startswith(("stable_baselines3", "sb3_contrib", "sb3_maxent")):
        return True
    return None


def _class_parameter_types(app, what, name, obj, options, signature, return_annotation):
    # The parameter types of a class come from its ``__init__``. Sphinx's record of them (for
    # autodoc_typehints = "description") resolves the class's own annotations, where an attribute with a parameter's
    # name (``maxent_coef: Schedule``, SB3's ``policy: ActorCriticPolicy``) replaces the parameter's type
    if what != "class" or not inspect.isclass(obj):
        return None
    annotations = app.env.temp_data.get("annotations", {}).get(name)
    if annotations is None:
        return None
    mode = "smart" if app.config.autodoc_typehints_format == "short" else "fully-qualified"
    try:
        init_signature = sphinx_signature(obj.__init__, bound_method=True, type_aliases=app.config.autodoc_type_aliases)
    except (TypeError, ValueError):
        return None
    for parameter in init_signature.parameters.values():
        if parameter.annotation is not parameter.empty:
            annotations[parameter.name] = stringify_annotation(parameter.annotation, mode)
    return None


def setup(app):
    app.connect("source-read", _source_read)
    app.connect("autodoc-skip-member", _skip_member)
    # after sphinx.ext.autodoc.typehints' own record (priority 500)
    app.connect("autodoc-process-signature", _class_parameter_types, priority=600)
