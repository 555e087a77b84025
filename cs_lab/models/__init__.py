"""Recommenders under one contract (see cs_lab.models.base). Importing this package registers
every built-in model with cs_lab.models.registry."""

from cs_lab.models import baselines  # noqa: F401
from cs_lab.models import basket  # noqa: F401
from cs_lab.models import bundle  # noqa: F401
from cs_lab.models import business  # noqa: F401
from cs_lab.models import hybrid  # noqa: F401
from cs_lab.models import implicit_cf  # noqa: F401
from cs_lab.models import lightfm_cf  # noqa: F401
from cs_lab.models import rules  # noqa: F401
from cs_lab.models import threshold  # noqa: F401
from cs_lab.models.base import Recommender
from cs_lab.models.registry import build, get, names, register

__all__ = ["Recommender", "build", "get", "names", "register"]
