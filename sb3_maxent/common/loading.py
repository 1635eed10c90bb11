"""A clear error when a file saved by another algorithm is loaded, instead of an error from deep inside SB3."""

import os
import zipfile
from pathlib import Path
from typing import Any

from stable_baselines3.common.save_util import json_to_data


def saved_policy_class(path: Any) -> type | None:
    """The policy class recorded in a file saved by ``model.save()`` (``None`` if it cannot be read)."""
    if not isinstance(path, (str, os.PathLike)):
        return None
    candidates = [Path(path), Path(f"{path}.zip")]
    for candidate in candidates:
        if candidate.is_file():
            try:
                with zipfile.ZipFile(candidate) as archive:
                    data = json_to_data(archive.read("data").decode())
            except (KeyError, ValueError, zipfile.BadZipFile):
                return None
            policy_class = data.get("policy_class")
            return policy_class if isinstance(policy_class, type) else None
    return None


class ExplainedLoad:
    """
    Mixin of the package's algorithms: ``load()`` of a file whose policy another algorithm saved (a DSPG file into
    MaxEntPPO, a PPO file into DSPG, ...) raises a ``ValueError`` that says so, where SB3 fails with an unrelated
    ``AttributeError`` or ``TypeError`` deep inside. The algorithm's accepted policies are those of its
    ``policy_aliases`` (and ``continuous_policy_aliases``) and their subclasses.
    """

    @classmethod
    def load(cls, path: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().load(path, *args, **kwargs)  # type: ignore[misc]
        except (AttributeError, TypeError, KeyError, ValueError) as error:
            saved = saved_policy_class(path)
            aliases = {**getattr(cls, "policy_aliases", {}), **getattr(cls, "continuous_policy_aliases", {})}
            if saved is None or any(issubclass(saved, policy) for policy in aliases.values()):
                raise
            raise ValueError(
                f"{path} holds a {saved.__module__}.{saved.__name__}, the policy of another algorithm: "
                f"{cls.__name__} can load only files saved by {cls.__name__} (load it with the algorithm that saved it)"
            ) from error
