"""Features extractors shared by the algorithms."""

from collections.abc import Sequence

import gymnasium as gym
import torch as th
from gymnasium import spaces
from stable_baselines3.common.preprocessing import is_image_space
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn


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

    :param observation_space: an image ``Box`` observation space
    :param features_dim: size of the output embedding (256 in the papers)
    :param depths: number of channels of each stage (16, 32, 32 in the papers)
    :param normalized_image: whether the image is already normalized (disables the dtype/bounds check)
    """

    def __init__(
        self,
        observation_space: gym.Space,
        features_dim: int = 256,
        depths: Sequence[int] = (16, 32, 32),
        normalized_image: bool = False,
    ) -> None:
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

    def forward(self, observations: th.Tensor) -> th.Tensor:
        return self.linear(self.cnn(observations))
