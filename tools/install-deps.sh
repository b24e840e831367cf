#!/usr/bin/env bash
# Installs what Spatial Recovery needs to build and test on Debian 12.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
  meson ninja-build pkg-config gcc g++ libc6-dev \
  libglib2.0-dev libglib2.0-dev-bin libjson-glib-dev \
  libgtk-4-dev libepoxy-dev \
  libopenexr-dev openexr liblcms2-dev libpng-dev libtiff-dev libdnnl-dev libopencolorio-dev \
  gettext desktop-file-utils appstream appstream-util \
  xvfb xauth libgl1-mesa-dri adwaita-icon-theme fonts-dejavu-core \
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg \
  python3 clang-format git clang-14 libclang-rt-14-dev libfuzzer-14-dev \
  slurmctld slurmd slurm-client munge
