"""One module per dataset: each has ``build(out_dir) -> list[str]`` (see data/build.py)."""
