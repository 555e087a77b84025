import numpy as np
import pytest

from cs_lab.errors import ConfigError
from cs_lab.simulate.priors import Prior, PriorSet, load_priors, save_priors


def _p(name="a", value=0.2, se=0.02, dist="beta"):
    return Prior(name=name, value=value, se=se, ci_low=value - 2 * se, ci_high=value + 2 * se,
                 distribution=dist, source="test")


@pytest.mark.parametrize("dist", ["normal", "beta", "lognormal"])
def test_draws_match_mean_and_sd(dist):
    p = _p(dist=dist)
    x = p.draw(np.random.default_rng(0), 200_000)
    assert abs(x.mean() - 0.2) < 0.002
    assert abs(x.std() - 0.02) < 0.002


def test_fixed_never_varies():
    p = Prior(name="f", value=0.3, ci_low=0.3, ci_high=0.3, distribution="fixed", source="assumption",
              assumption=True)
    assert (p.draw(np.random.default_rng(0), 10) == 0.3).all()


def test_value_outside_interval_rejected():
    with pytest.raises(ValueError, match="outside its interval"):
        Prior(name="x", value=0.5, se=0.1, ci_low=0.6, ci_high=0.9, source="t")


def test_roundtrip_and_duplicates(tmp_path):
    f = save_priors([_p("a"), _p("b")], tmp_path / "x.json")
    ps = load_priors(f)
    assert ps.names() == ["a", "b"] and ps["a"] == _p("a")
    with pytest.raises(ConfigError, match="defined twice"):
        load_priors(f, f)
    with pytest.raises(ConfigError, match="no prior named 'c'"):
        ps["c"]
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_file_names_path(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"name": "a"}]')
    with pytest.raises(ConfigError, match="bad.json: prior #0"):
        load_priors(bad)


def test_shipped_priors_load():
    assert isinstance(load_priors(), PriorSet)
