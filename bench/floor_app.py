"""The framework floor: a minimal Typer app whose one command prints a one-row rich table."""

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer()


@app.command()
def main() -> None:
    table = Table("key", "title")
    table.add_row("meng2022locating", "Locating and Editing Factual Associations in GPT")
    Console().print(table)


if __name__ == "__main__":
    app()
