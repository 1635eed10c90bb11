"""
Loading the package's files: a clear error when a file saved by another algorithm is loaded, instead of an error from
deep inside SB3, and the attributes of older versions' files that nothing reads any more left out.
"""

import os
import zipfile
from pathlib import Path
from typing import Any, ClassVar

from stable_baselines3.common.save_util import json_to_data


def saved_data(path: Any) -> dict[str, Any] | None:
    """The attributes recorded in a file saved by ``model.save()`` (``None`` if it cannot be read: a buffer, ...)."""
    if not isinstance(path, (str, os.PathLike)):
        return None
    for candidate in (Path(path), Path(f"{path}.zip")):
        if candidate.is_file():
            try:
                with zipfile.ZipFile(candidate) as archive:
                    data = json_to_data(archive.read("data").decode())
            except (KeyError, ValueError, zipfile.BadZipFile):
                return None
            return data if isinstance(data, dict) else None
    return None


def saved_policy_class(path: Any) -> type | None:
    """The policy class recorded in a file saved by ``model.save()`` (``None`` if it cannot be read)."""
    policy_class = (saved_data(path) or {}).get("policy_class")
    return policy_class if isinstance(policy_class, type) else None


class ExplainedLoad:
    """
    Mixin of the package's algorithms: ``load()`` of a file whose policy another algorithm saved (a DSPG file into
    MaxEntPPO, a PPO file into DSPG, ...) raises a ``ValueError`` that says so, where SB3 fails with an unrelated
    ``AttributeError`` or ``TypeError`` deep inside. The algorithm's files hold the policies of
    :meth:`saved_policy_classes` or their subclasses.

    A loaded model does not keep the attributes of :attr:`retired_attributes`, which files of older versions carry
    (SB3's ``load`` sets every saved attribute) and nothing reads any more, so that saving it again drops them.
    """

    # DSPG's and SoftQL's `float32_observations` (replaced by `replay_buffer_class`; their files also hold the class it
    # chose, which is what they load with)
    retired_attributes: ClassVar[tuple[str, ...]] = ("float32_observations",)

    @classmethod
    def saved_policy_classes(cls) -> tuple[type, ...]:
        """The policy classes of the algorithm's files (their subclasses too): those of its ``policy_aliases``."""
        return tuple(getattr(cls, "policy_aliases", {}).values())

    @classmethod
    def load(cls, path: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            model = super().load(path, *args, **kwargs)  # type: ignore[misc]
        except (AttributeError, TypeError, KeyError, ValueError) as error:
            saved = saved_policy_class(path)
            if saved is None or issubclass(saved, cls.saved_policy_classes()):
                raise
            raise ValueError(
                f"{path} holds a {saved.__module__}.{saved.__name__}, the policy of another algorithm: "
                f"{cls.__name__} can load only files saved by {cls.__name__} (load it with the algorithm that saved it)"
            ) from error
        for name in cls.retired_attributes:
            model.__dict__.pop(name, None)
        return model
