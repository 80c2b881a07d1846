"""``python -m mlsteward`` runs the CLI."""

from mlsteward.interfaces.cli.main import main

if __name__ == "__main__":
    main()
