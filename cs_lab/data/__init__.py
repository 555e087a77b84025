"""Data layer: canonical tables, loaders, cleaning, cache, splits, matrices, synthetic data."""

from cs_lab.data.dataset import Dataset

__all__ = ["Dataset", "load_dataset"]


def load_dataset(name: str, **kwargs) -> Dataset:
    """Prepare (or load from the cache) a dataset by name, or from a YAML column-mapping file."""
    if name.endswith((".yaml", ".yml")):
        from cs_lab.data.custom import load_custom
        return load_custom(name, **kwargs)
    from cs_lab.data.loaders import get_loader
    return get_loader(name).prepare(**kwargs)
