"""Features extractors shared by the algorithms."""

import functools
import warnings
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym
import torch as th
from gymnasium import spaces
from stable_baselines3.common.preprocessing import is_image_space
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

# ``precision`` of the CNN trunk -> the autocast dtype (None: plain float32)
CNN_PRECISIONS: dict[str, th.dtype | None] = {"float32": None, "bfloat16": th.bfloat16, "float16": th.float16}
# CPU flags that make a reduced-precision dtype fast (native dot products), per dtype
_NATIVE_CPU_FLAGS = {th.bfloat16: ("avx512_bf16", "amx_bf16"), th.float16: ("avx512_fp16", "amx_fp16")}


@functools.cache
def _cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux' /proc/cpuinfo; empty where it cannot be read)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return frozenset()
    return frozenset(word for line in lines if line.startswith("flags") for word in line.split(":", 1)[1].split())


def check_autocast_dtype(dtype: th.dtype, device: th.device) -> None:
    """
    Refuse (``ValueError``) a reduced-precision dtype that autocast cannot run on ``device``, and warn
    (``UserWarning``) where it runs but slowly: bfloat16 or float16 on a CPU without native instructions for it
    (``avx512_bf16`` / ``amx_bf16``, ``avx512_fp16`` / ``amx_fp16``), bfloat16 on a CUDA GPU before Ampere.

    :param dtype: ``th.bfloat16`` or ``th.float16``
    :param device: The device the network runs on
    """
    name = str(dtype).removeprefix("torch.")
    if not th.amp.is_autocast_available(device.type):
        raise ValueError(f"precision={name!r}: torch has no autocast for device {device}; use precision='float32'")
    if device.type == "cuda":
        if dtype == th.bfloat16 and not th.cuda.is_bf16_supported(including_emulation=False):
            warnings.warn(f"precision='bfloat16' on {th.cuda.get_device_name(device)}: no native bfloat16, it runs slowly")
    elif device.type == "cpu" and not _cpu_flags().intersection(_NATIVE_CPU_FLAGS.get(dtype, ())):
        measured = " (about 12x per IMPALA CNN update on an AVX2-only CPU)" if dtype == th.bfloat16 else ""
        warnings.warn(
            f"precision={name!r} on a CPU without native {name} instructions "
            f"({' or '.join(_NATIVE_CPU_FLAGS.get(dtype, ()))}): it runs, but slower than float32{measured}",
            stacklevel=3,
        )


class ResidualBlock(nn.Module):
    """
    Pre-activation residual block of the IMPALA network: ``x + conv(relu(conv(relu(x))))``.

    :param channels: number of input (and output) channels
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x: th.Tensor) -> th.Tensor:
        out = self.conv0(th.relu(x))
        out = self.conv1(th.relu(out))
        return x + out


class ConvSequence(nn.Module):
    """
    One IMPALA stage: 3x3 convolution, 3x3 max-pooling with stride 2, then two residual blocks.

    :param in_channels: number of input channels
    :param out_channels: number of output channels (the stage's depth)
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.res0 = ResidualBlock(out_channels)
        self.res1 = ResidualBlock(out_channels)

    def forward(self, x: th.Tensor) -> th.Tensor:
        return self.res1(self.res0(self.pool(self.conv(x))))


class ImpalaCNN(BaseFeaturesExtractor):
    """
    The IMPALA "deep" residual CNN (Espeholt et al. 2018), as used for Procgen by Cobbe et al. (2020)
    and by the on-policy max-ent PPO paper ("On-Policy Maximum Entropy Deep Reinforcement Learning", Fig. 1): three
    stages of depth 16/32/32, each a convolution, a max-pool and two residual blocks, then a ReLU and a 256-unit fully
    connected layer.

    Images are expected channels-first (SB3 transposes HxWxC image observations automatically) and
    are scaled to [0, 1] by SB3's preprocessing when ``normalize_images=True`` (the default).

    Speed: the convolutional trunk always runs in the channels_last memory format (on this 2-core CPU 1.5x faster
    than NCHW for a 2048-frame update, and never slower; the weights keep their layout, so saved models do not
    change). With ``precision="bfloat16"`` (or ``"float16"``) the trunk, up to and including the flattening ReLU, runs
    under ``torch.autocast`` in that dtype and the 256-unit layer takes its output back in float32: features, heads,
    distributions, losses, weights, gradients and optimizer states all stay float32, only the convolutions'
    arithmetic is reduced. On a CPU with ``avx512_bf16`` a bfloat16 update is about 2.5x faster than float32
    (``benchmarks/throughput.py``). CUDA uses the same autocast (not measured by our tests, which have no GPU).

    :param observation_space: an image ``Box`` observation space
    :param features_dim: size of the output embedding (256 in the papers)
    :param depths: number of channels of each stage (16, 32, 32 in the papers)
    :param normalized_image: whether the image is already normalized (disables the dtype/bounds check)
    :param precision: ``"float32"`` (default), ``"bfloat16"`` or ``"float16"``: the dtype of the convolutional trunk's
        arithmetic (autocast). A dtype the device cannot run is refused at the first forward pass on that device; one
        it runs only slowly (e.g. bfloat16 on a CPU without ``avx512_bf16``, float16 on most CPUs) is warned about.
        Reach it as ``policy_kwargs=dict(features_extractor_kwargs=dict(precision="bfloat16"))``.
    """

    def __init__(
        self,
        observation_space: gym.Space,
        features_dim: int = 256,
        depths: Sequence[int] = (16, 32, 32),
        normalized_image: bool = False,
        precision: str = "float32",
    ) -> None:
        if precision not in CNN_PRECISIONS:
            raise ValueError(f"Unknown precision {precision!r} for ImpalaCNN: expected one of {tuple(CNN_PRECISIONS)}")
        if not isinstance(observation_space, spaces.Box) or not is_image_space(
            observation_space, check_channels=False, normalized_image=normalized_image
        ):
            raise ValueError(
                f"ImpalaCNN needs an image observation space (uint8 Box of shape HxWxC or CxHxW), got {observation_space}. "
                "Use MlpPolicy for vector observations, or MultiInputPolicy for dict observations."
            )
        if features_dim <= 0 or len(depths) == 0 or any(d <= 0 for d in depths):
            raise ValueError(f"ImpalaCNN needs a positive features_dim and positive depths, got {features_dim}, {depths}")
        super().__init__(observation_space, features_dim)
        n_input_channels = observation_space.shape[0]
        stages = []
        for depth in depths:
            stages.append(ConvSequence(n_input_channels, depth))
            n_input_channels = depth
        self.cnn = nn.Sequential(*stages, nn.Flatten(), nn.ReLU())
        with th.no_grad():
            n_flatten = self.cnn(th.as_tensor(observation_space.sample()[None]).float()).shape[1]
        self.linear = nn.Sequential(nn.Linear(n_flatten, features_dim), nn.ReLU())
        self.precision = precision
        self._autocast_dtype = CNN_PRECISIONS[precision]
        self._checked_devices: set[th.device] = set()

    def forward(self, observations: th.Tensor) -> th.Tensor:
        observations = observations.contiguous(memory_format=th.channels_last)
        if self._autocast_dtype is None:
            return self.linear(self.cnn(observations))
        if observations.device not in self._checked_devices:
            check_autocast_dtype(self._autocast_dtype, observations.device)
            self._checked_devices.add(observations.device)
        with th.autocast(device_type=observations.device.type, dtype=self._autocast_dtype):
            trunk = self.cnn(observations)
        return self.linear(trunk.float())
