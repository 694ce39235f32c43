"""Where top-level statements start in Python source that may not parse, in linear time.

Used on both sides of the sandbox, so it imports the standard library only: the worker
loads it by path (like ``jail.py`` and ``protocol.py``) to split a cell that does not parse
into statements, so a syntax error skips only the statement it is in; intake uses
``Scanner`` to tell an IPython magic line from a ``%`` that continues a Python expression.

The scanner follows brackets, strings (triple-quoted included) and backslash continuations
line by line, looking only at the characters that matter (one regex pass per line), so a
9 MB cell costs about a second where ``tokenize`` takes half a minute.
"""
import re

# What matters for "is this line inside a statement": quotes, escapes, comments, brackets.
_SIGNIFICANT = re.compile(r"""\\.|\\$|'''|\"\"\"|['"#()\[\]{}]""", re.S)
# Lines that continue the statement before them, although they start in column 0.
_CLAUSES = {"else", "elif", "except", "finally"}
_FIRST_WORD = re.compile(r"[A-Za-z_]\w*|@")


class Scanner:
    """Feed lines in order; ``inside`` says whether the text so far ends inside an open
    bracket, string or backslash continuation (where a new line cannot start a statement)."""

    def __init__(self):
        self.depth, self.quote, self.continued = 0, None, False

    @property
    def inside(self):
        return bool(self.depth or self.quote or self.continued)

    def feed(self, line):
        self.continued = False
        for match in _SIGNIFICANT.finditer(line):
            token = match.group()
            if self.quote:
                if token == self.quote:
                    self.quote = None
                elif token == "\\":                      # a backslash at the end of the line
                    self.continued = len(self.quote) == 1
                continue
            if token == "#":
                break
            if token == "\\":
                self.continued = True
            elif token.startswith("\\"):
                continue
            elif token in ("'", '"', "'''", '"""'):
                self.quote = token
            elif token in "([{":
                self.depth += 1
            elif token in ")]}":
                self.depth = max(self.depth - 1, 0)
        if self.quote in ("'", '"') and not self.continued:
            self.quote = None                            # an unclosed short string ends with its line


def statement_starts(lines):
    """1-based numbers of the lines where a top-level statement starts (a generator: the
    caller may stop early).

    A statement starts in column 0 outside any bracket, string or continuation; ``else``,
    ``elif``, ``except`` and ``finally`` continue the statement before, and a decorator
    takes the statement after it. ``lines`` is a list of lines (with or without ends).
    """
    scanner, decorated = Scanner(), False
    for number, line in enumerate(lines, start=1):
        if not scanner.inside and line[:1] not in ("", " ", "\t", "\n", "\r", "\f", "#", ")", "]", "}"):
            word = _FIRST_WORD.match(line)
            token = word.group() if word else line[:1]
            if token not in _CLAUSES:
                if not decorated:
                    yield number
                decorated = token == "@"
        scanner.feed(line)
