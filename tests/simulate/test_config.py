import numpy as np
import pytest

from cs_lab.errors import ConfigError
from cs_lab.simulate import SimulationConfig


def test_defaults_and_curves():
    c = SimulationConfig()
    np.testing.assert_allclose(c.examination_curve(), 1 / np.log2(np.arange(2, 7)))
    g = SimulationConfig(examination="geometric", gamma=0.5, slots=3)
    np.testing.assert_allclose(g.examination_curve(), [1, 0.5, 0.25])
    u = SimulationConfig(examination="uniform", slots=2, take_rate=0.4)
    np.testing.assert_allclose(u.accept_probability(), [0.4, 0.4])
    cu = SimulationConfig(examination="custom", slots=2, examination_weights=[0.9, 0.3, 0.1])
    np.testing.assert_allclose(cu.examination_curve(), [0.9, 0.3])


@pytest.mark.parametrize("bad, where", [
    ({"take_rte": 0.1}, "take_rte"),
    ({"take_rate": 1.5}, "take_rate"),
    ({"arms": ["a", "b"], "control": "c"}, "control"),
    ({"arms": ["control"]}, "at least two"),
    ({"arms": ["control", "a"], "weights": [1.0]}, "weights"),
    ({"examination": "custom"}, "examination_weights"),
    ({"examination_weights": [1.0]}, "only used"),
    ({"n_bootstrap": 0}, "n_bootstrap"),
    ({"metrics": ["ctr"]}, "metrics"),
])
def test_invalid_configs_name_the_key(bad, where):
    with pytest.raises(ConfigError, match=where):
        SimulationConfig.from_dict(bad)


def test_round_trip():
    c = SimulationConfig(arms=["control", "als"], weights=[1, 3], cuped=True, seed=5)
    assert SimulationConfig.from_dict(c.model_dump()) == c
