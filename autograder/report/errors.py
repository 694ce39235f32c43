"""The one error the report raises for bad input: its message is shown to the TA as is."""


class ReportError(ValueError):
    """Malformed input to ``dlgrade report``; the message names the file and what is wrong."""
