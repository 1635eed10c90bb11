"""
The documentation site (Sphinx, ``docs/conf.py``) builds with warnings as errors: docstrings that are not valid reST,
broken links between the pages or to a section, and pages left out of the site all fail here.
"""

import html
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sb3_maxent import DSPG, MaxEntPPO, SoftQL

pytest.importorskip("sphinx", reason="the docs tools come with the [docs] extra (part of [tests])")
pytest.importorskip("myst_parser", reason="the docs tools come with the [docs] extra (part of [tests])")
pytest.importorskip("sphinx_rtd_theme", reason="the docs tools come with the [docs] extra (part of [tests])")

REPO_ROOT = Path(__file__).resolve().parents[1]

# guide page (docs/<name>.md) and API page (docs/api/<name>.rst) of each algorithm
ALGORITHMS = {"maxent_ppo": MaxEntPPO, "dspg": DSPG, "softql": SoftQL}
CAN_I_USE_SPACES = ("Discrete", "Box", "MultiDiscrete", "MultiBinary", "Dict")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built from scratch (-E) in strict mode (-W: any warning fails the build)."""
    out = tmp_path_factory.mktemp("docs") / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html", "docs", str(out)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr[-8000:]}"
    return out


def page_text(path: Path) -> str:
    """The page's main text, without tags."""
    body = path.read_text(encoding="utf-8")
    body = body[body.index('itemprop="articleBody"') :]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_site_builds(site: Path):
    for page in ["index", "maxent_ppo", "dspg", "softql", "procgen", "zoo", "hub", "results"]:
        assert (site / f"{page}.html").is_file(), page
    # results.md embeds its figures (copied into the site) and links the modules' files (-> the API reference)
    assert list((site / "_images").glob("*.png"))
    assert 'href="api/dspg.html#module-sb3_maxent.dspg.dspg"' in (site / "dspg.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ALGORITHMS)
def test_api_page_documents_every_parameter(site: Path, name: str):
    algorithm = ALGORITHMS[name]
    page = (site / "api" / f"{name}.html").read_text(encoding="utf-8")
    assert f'id="sb3_maxent.{name}.{name}.{algorithm.__name__}"' in page
    parameters = [parameter for parameter in inspect.signature(algorithm.__init__).parameters if parameter != "self"]
    assert len(parameters) > 20
    missing = [parameter for parameter in parameters if f"<strong>{parameter}</strong>" not in page]
    assert not missing, f"parameters of {algorithm.__name__} missing from api/{name}.html: {missing}"
    # the ones the issue names, and their explanations (not just the names)
    text = " ".join(page_text(site / "api" / f"{name}.html").split())
    expected = {
        "maxent_ppo": ["maxent_coef ( float | Callable", "Temperature beta >= 0 of the maximum-entropy objective"],
        "dspg": ["n_action_samples ( int )", "number of actions M sampled per state"],
        "softql": ["n_value_particles ( int )", "n_kernel_particles ( int )"],
    }[name]
    for snippet in expected:
        assert snippet in text, snippet


@pytest.mark.parametrize("name", ALGORITHMS)
def test_algorithm_page_has_can_i_use_table(site: Path, name: str):
    page = (site / f"{name}.html").read_text(encoding="utf-8")
    match = re.search(r'<section id="can-i-use">(.*?)</section>', page, flags=re.DOTALL)
    assert match is not None, f"{name}.md has no 'Can I use?' section"
    section = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())
    assert re.search(r"Recurrent policies: (✔️|❌)", section)
    assert re.search(r"Multi processing: (✔️|❌)", section)
    assert "Space Action Observation" in section
    for space in CAN_I_USE_SPACES:
        assert re.search(rf"\b{space} (✔️|❌) (✔️|❌)", section), space
