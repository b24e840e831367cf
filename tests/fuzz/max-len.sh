#!/usr/bin/env bash
# Prints the largest input, in bytes, the fuzzer may try for a target: big
# enough for every seed (a checkpoint of the small network is the largest),
# small enough to keep each execution fast.
case "$1" in
  checkpoint) echo 16384 ;;
  exr | png | tiff | dpx) echo 16384 ;;
  project | json | safetensors) echo 8192 ;;
  grain-plan) echo 16384 ;;
  *) echo 2048 ;;
esac
