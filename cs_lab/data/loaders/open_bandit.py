"""Open Bandit Dataset (ZOZOTOWN; Saito et al., NeurIPS 2021 Datasets and Benchmarks, arXiv 2008.07146).

A real logged A/B test of two recommendation policies run live on the same 3-slot fashion widget:
a uniform Random policy and Bernoulli Thompson Sampling (BTS), for the campaigns all, men, women.
It is bandit feedback, not baskets, so it has its own container (:class:`BanditLog`) and does not
go through the retail Loader/Dataset pipeline.

Files, under ``$CS_LAB_DATA_DIR/open_bandit/<policy>/<campaign>/``: ``<campaign>.csv.gz`` (or the
uncompressed ``<campaign>.csv`` exactly as obp ships it) and ``item_context.csv``. The pinned files
are the small sample (10,000 rounds per log) shipped inside the PyPI package obp 0.4.1
(``obp/dataset/obd/``). The full dataset (about 26M rounds) is published by ZOZO Research (CC BY 4.0)
at FULL_DATA_URL; its files differ from the sample and are not pinned here.

Format: CSV with an unnamed leading index column; columns timestamp, item_id, position (1..3),
click (0/1), propensity_score (the logging policy's probability of this item in this slot),
user_feature_0..3 (hashed categories), user-item_affinity_0..n_items-1.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cs_lab.data.io import _open_bytes
from cs_lab.data.loaders.base import Source
from cs_lab.data.sources import RawFile, check_rows, locate, present, verify
from cs_lab.errors import ConfigError, DataError

FULL_DATA_URL = "https://research.zozo.com/data_release/open_bandit_dataset.zip"
DATASET = "open_bandit"
POLICIES = ("random", "bts")
CAMPAIGNS = ("all", "men", "women")
N_ITEMS = {"all": 80, "men": 34, "women": 46}
LEN_LIST = 3
ROUNDS = 10_000
N_USER_FEATURES = 4
HOW = (f"the small sample ships inside the PyPI package obp==0.4.1 (folder obp/dataset/obd/<policy>/<campaign>/); "
       f"the full Open Bandit Dataset (about 26M rounds, different files, not pinned here) is at {FULL_DATA_URL}")

# sha256 of (.csv.gz as stored here, .csv as shipped by obp 0.4.1), item_context.csv
_SHA = {
    ("random", "all"): ("e5f7284292d0a9906e54a1019a8c392cde0106610dbd6dff73af7b7836123bfc",
                        "7168295b6e0a9eabcf3392320a5dd434e542b68e705d5cd9491499af589812f1",
                        "eba04cc23d5f130a93ff174c5392986882b94c3839433cb8143870eaa6221358"),
    ("random", "men"): ("1d506bbe0c2fef46e42cdcb1f84f60d965daa6bb16b3e560e92b5bfd58c29da6",
                        "ede6d08c6877f99cd3770f7d09e26c738e6aa6de4445ccccfb1356ba5d06b1eb",
                        "6d855c2b7e917d0448d71bbe62c023147495882c0fdc8c41e86fef86abf9fe09"),
    ("random", "women"): ("83e9f38cd0246c73a765206adb8829a28d66b8aed5d3c42b64b49b997ad48c7a",
                          "e65f3bd3beb17664fa69cc129bf7bf852a775f8ffa630506e505fc905315bb34",
                          "b1ca4905f97703d196004f2ad4552c1e90c2afad8b50688d333b0d2dc0b33147"),
    ("bts", "all"): ("1415c069ff9a5de951116850a3a00e07aab64c449555678ae00035359aec267d",
                     "0ad874e4dbf6902f0845dd478ad8dde5ef6903583d3ffaace78411bdad064106",
                     "5d4359ba1cfa3ae88f0f1bae66bd633859fe6323817183632ee57b83539d9153"),
    ("bts", "men"): ("92adff7cd752a8734fde9321075c62be5853e6ab8e3a57319bd76f9683170da7",
                     "db6d1f7ed2d591ba521533e45286d4c1fba7fe57a8ad2e80342210335f43c527",
                     "3b411ed6b0471316321a6b93f4f756bb25888eac6218cd71d0b603d41d85732d"),
    ("bts", "women"): ("599ca5add90903ad82e3719db099b1ff4ac3692a658878e507bccb0ed50f194b",
                       "e5d1b49a39b608585a2f3014a3f54970430cd37a495c1b73fceb85cdf428a5b8",
                       "a56295bad066a558eb783055afd9279f5f4e209a4776eafc22151c53f0ac89d4"),
}


def _sources() -> tuple[Source, ...]:
    out = []
    for (policy, campaign), (gz, raw, ctx) in _SHA.items():
        folder = f"{DATASET}/{policy}/{campaign}"
        out.append(Source(f"{policy}/{campaign}", folder, (
            RawFile(f"{campaign}.csv.gz", "csv.gz", gz, None, ROUNDS, HOW),
            RawFile(f"{campaign}.csv", "csv", raw, None, ROUNDS, HOW))))
        out.append(Source(f"{policy}/{campaign}/item_context", folder, (
            RawFile("item_context.csv", "csv", ctx, None, N_ITEMS[campaign], HOW),)))
    return tuple(out)


@dataclass
class BanditLog:
    """One logged bandit feedback file of the Open Bandit Dataset.

    action      (n,) int   item shown (0 .. n_items-1)
    position    (n,) int   slot, 0-based (file's 1..3 minus 1)
    reward      (n,) float click (0/1)
    pscore      (n,) float logging policy's probability of this item in this slot
    timestamp   (n,) datetime64[ns, UTC]
    user        (n, 4) DataFrame of hashed user categories (user_feature_0..3)
    affinity    (n, n_items) float user-item affinities
    item_context (n_items,) DataFrame indexed by item_id: item_feature_0 (float), 1..3 (categories)
    """

    policy: str
    campaign: str
    action: np.ndarray
    position: np.ndarray
    reward: np.ndarray
    pscore: np.ndarray
    timestamp: np.ndarray
    user: pd.DataFrame
    affinity: np.ndarray
    item_context: pd.DataFrame
    n_items: int
    len_list: int = LEN_LIST
    source_sha256: dict[str, str] = field(default_factory=dict)

    @property
    def n_rounds(self) -> int:
        return len(self.action)

    @property
    def clicks(self) -> int:
        return int(self.reward.sum())

    @property
    def ctr(self) -> float:
        return float(self.reward.mean())


def _check_campaign(policy: str, campaign: str) -> None:
    if policy not in POLICIES:
        raise ConfigError(f"open_bandit: unknown policy {policy!r}; known: {', '.join(POLICIES)}")
    if campaign not in CAMPAIGNS:
        raise ConfigError(f"open_bandit: unknown campaign {campaign!r}; known: {', '.join(CAMPAIGNS)}")


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(_open_bytes(path)), index_col=0)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot parse as CSV ({exc})", file=str(path),
                        hint="replace it with the published file") from exc


def _require(df: pd.DataFrame, cols: list[str], path: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"missing columns {missing[:5]}{' ...' if len(missing) > 5 else ''}", file=str(path),
                        column=missing[0], hint="expected the Open Bandit Dataset format (see docs/ope.md)")


def _bad_row(df: pd.DataFrame, mask: np.ndarray, path: Path, column: str, what: str) -> None:
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        raise DataError(f"{what} (value {df[column].iloc[i]!r}; {int(mask.sum())} such rows)", file=str(path),
                        row=i + 2, column=column, hint="the file is corrupted or not the Open Bandit Dataset")


def parse_item_context(df: pd.DataFrame, path: Path, n_items: int) -> pd.DataFrame:
    cols = ["item_id"] + [f"item_feature_{i}" for i in range(4)]
    _require(df, cols, path)
    ids = pd.to_numeric(df["item_id"], errors="coerce").to_numpy()
    if len(df) != n_items or not np.array_equal(np.sort(ids), np.arange(n_items)):
        raise DataError(f"item_id must be 0..{n_items - 1}, each once ({len(df)} rows)", file=str(path),
                        column="item_id", hint="the file belongs to another campaign or is corrupted")
    out = df[cols].copy()
    out["item_id"] = ids.astype(np.int64)
    out["item_feature_0"] = pd.to_numeric(out["item_feature_0"], errors="coerce")
    _bad_row(out, out["item_feature_0"].isna().to_numpy(), path, "item_feature_0", "not a number")
    for c in cols[2:]:
        out[c] = out[c].astype(str).astype("category")
    return out.set_index("item_id").sort_index()


def parse_log(df: pd.DataFrame, path: Path, n_items: int) -> dict:
    """Validated arrays of one log file (raises DataError naming file, row and column)."""
    aff_cols = [f"user-item_affinity_{i}" for i in range(n_items)]
    user_cols = [f"user_feature_{i}" for i in range(N_USER_FEATURES)]
    _require(df, ["timestamp", "item_id", "position", "click", "propensity_score", *user_cols, *aff_cols], path)
    num = {c: pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)
           for c in ("item_id", "position", "click", "propensity_score")}
    _bad_row(df, ~np.isin(num["item_id"], np.arange(n_items)), path, "item_id", f"not an item id in 0..{n_items - 1}")
    _bad_row(df, ~np.isin(num["position"], np.arange(1, LEN_LIST + 1)), path, "position",
             f"not a slot in 1..{LEN_LIST}")
    _bad_row(df, ~np.isin(num["click"], (0.0, 1.0)), path, "click", "not 0 or 1")
    p = num["propensity_score"]
    _bad_row(df, ~((p > 0) & (p <= 1)), path, "propensity_score", "not a probability in (0, 1]")
    aff = df[aff_cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(aff).any():
        r, c = np.argwhere(np.isnan(aff))[0]
        raise DataError("affinity is not a number", file=str(path), row=int(r) + 2, column=aff_cols[c])
    ts = pd.to_datetime(df["timestamp"], utc=True, errors="coerce")
    _bad_row(df, ts.isna().to_numpy(), path, "timestamp", "not a timestamp")
    return {"action": num["item_id"].astype(np.int64), "position": num["position"].astype(np.int64) - 1,
            "reward": num["click"], "pscore": p, "timestamp": ts.to_numpy(),
            "user": df[user_cols].astype(str).astype("category").reset_index(drop=True), "affinity": aff}


class OpenBandit:
    """Locate, verify (sha256, rows) and read the Open Bandit Dataset sample."""

    name = DATASET
    description = "Open Bandit Dataset sample (ZOZOTOWN): Random and BTS logs, 3 campaigns, 10,000 rounds each"
    sources = _sources()

    def raw_status(self, root: Path | None = None) -> dict[str, Path | None]:
        return {s.key: present(s.folder, list(s.candidates), root) for s in self.sources}

    def _file(self, key: str, root: Path | None) -> tuple[RawFile, Path]:
        src = next(s for s in self.sources if s.key == key)
        rf, path = locate(src.folder, list(src.candidates), root=root, download=False)
        verify(rf, path)
        return rf, path

    def load(self, policy: str, campaign: str, root: Path | None = None) -> BanditLog:
        """The ``policy`` log of ``campaign``, checked against the pinned sha256 and row counts."""
        _check_campaign(policy, campaign)
        n_items = N_ITEMS[campaign]
        rf_log, p_log = self._file(f"{policy}/{campaign}", root)
        rf_ctx, p_ctx = self._file(f"{policy}/{campaign}/item_context", root)
        ctx = parse_item_context(_read_csv(p_ctx), p_ctx, n_items)
        df = _read_csv(p_log)
        check_rows(rf_log, p_log, len(df), "rounds")
        arrays = parse_log(df, p_log, n_items)
        return BanditLog(policy=policy, campaign=campaign, item_context=ctx, n_items=n_items,
                         source_sha256={str(p_log): rf_log.sha256 or "", str(p_ctx): rf_ctx.sha256 or ""}, **arrays)


def load_open_bandit(policy: str, campaign: str, root: Path | None = None) -> BanditLog:
    return OpenBandit().load(policy, campaign, root)
