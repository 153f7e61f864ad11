"""Packaging for osconf: the console script and its dependencies.

The runtime floor is Python 3.6, the oldest Python 3 images still carry
(CentOS 7, RHEL 8's platform Python, Ubuntu 18.04, SLES 15); version
differences live in osconf/compat.py.
"""

import os
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

# Files `osconf install` (and later tools) read at run time, kept at the top of
# the repository where their own tools check them (systemd-analyze, shellcheck).
# Every installed copy carries them inside the package, as osconf/_assets/DIR/
# (osconf.install.asset_dir finds them there, or in a checkout). A new
# directory goes here and into MANIFEST.in (for the sdist); a test checks both.
ASSET_DIRS = ("units", "initscripts", "conf")

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "README.md"), encoding="utf-8") as readme:
    LONG_DESCRIPTION = readme.read()


class BuildWithAssets(build_py):
    """build_py that also copies ASSET_DIRS into the built package."""

    def run(self) -> None:
        super().run()
        for name in ASSET_DIRS:
            source = os.path.join(HERE, name)
            target = os.path.join(self.build_lib, "osconf", "_assets", name)
            if os.path.isdir(target):
                shutil.rmtree(target)
            shutil.copytree(source, target)


setup(
    name="osconf",
    version="0.1.0",
    description="First-boot agent for Alibaba Cloud ECS 'Customized Linux' images (os.conf)",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    license="MIT",
    cmdclass={"build_py": BuildWithAssets},
    python_requires=">=3.6",
    packages=find_packages(include=["osconf", "osconf.*"]),
    install_requires=[
        # The oldest the distributions ship: netaddr 0.7.19 (Debian 11, Ubuntu 20.04),
        # pyroute2 0.5.3 (EPEL 8); Debian 12's 0.8.0 and 0.7.2 and PyPI's newest too.
        "netaddr>=0.7.19",
        "pyroute2>=0.5.3",
        # dataclasses is in the standard library from 3.7 on; 3.6 takes the
        # backport of the same module (RHEL 8: python3-dataclasses).
        'dataclasses; python_version < "3.7"',
    ],
    extras_require={
        # systemd-python needs libsystemd headers to build; images without
        # systemd run osconf without it (stderr logging, no sd_notify).
        "systemd": ["systemd-python>=234"],
        "test": ["pytest>=7", "hypothesis>=6", "ruff>=0.6", "mypy>=1.10,<1.18"],
    },
    entry_points={"console_scripts": ["osconf = osconf.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
        "Topic :: System :: Systems Administration",
    ],
)
