#!/usr/bin/env bash
# Create the peer virtual environments used by the comparison benchmarks.
#
# benchmarks/.venvs/mlflow  -- MLflow (pinned) from PyPI
#
# Idempotent: a venv whose marker file names the pinned version is left alone.
# Usage: bash benchmarks/peers/setup_venvs.sh [--force]
set -euo pipefail

MLFLOW_VERSION="${MLFLOW_VERSION:-3.17.2}"
PYTHON="${PYTHON:-python3}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venvs="$(dirname "$here")/.venvs"
force=0
[[ "${1:-}" == "--force" ]] && force=1

setup_mlflow() {
  local dir="$venvs/mlflow"
  local marker="$dir/.installed-mlflow-$MLFLOW_VERSION"
  if [[ $force -eq 0 && -f "$marker" ]]; then
    echo "mlflow venv ready: $dir (mlflow $MLFLOW_VERSION)"
    return 0
  fi
  rm -rf "$dir"
  mkdir -p "$venvs"
  echo "creating $dir with mlflow==$MLFLOW_VERSION (takes a few minutes)"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --upgrade pip
  "$dir/bin/python" -m pip install --quiet "mlflow==$MLFLOW_VERSION"
  "$dir/bin/python" -c "import mlflow; print('mlflow', mlflow.__version__)"
  touch "$marker"
}

setup_mlflow
