"""osconf: applies Alibaba Cloud ECS os.conf settings to a Customized Linux image."""

__version__ = "0.1.0"
