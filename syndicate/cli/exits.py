"""What a command's exit status means (README, CLI reference), and the error a command
reports in one line with one of them. Apart from cli/common.py so that the parsers, which
print these codes in `--help`, stand on nothing else."""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_DELIVERY_FAILED = 4
EXIT_DATAERR = 65
EXIT_IOERR = 74
EXIT_LOCKED = 75
EXIT_CONFIG = 78

EXIT_CODES = (
    "exit codes: 0 ok, 2 usage, 3 inbox files rejected, 4 deliveries failed,"
    " 65 unusable article (inspect) or input file, 74 I/O error or unusable state,"
    " 75 another run is going, 78 config or template error"
)


class CommandError(Exception):
    """A user error a command reports in one line, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code
