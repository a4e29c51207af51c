"""A small reader of nginx configuration files: enough to tell which routes a server passes on, with which headers.

nginx has no machine-readable form of its configuration, so the deployment policy (bot/tools/k8s_network.py) reads
it with this: a tokeniser that follows nginx's syntax (directives end in `;`, blocks are in braces, `#` starts a
comment, strings may be single- or double-quoted with backslash escapes) and a parser that builds the tree.
`effective_headers` applies nginx's rule for `add_header`: a level inherits its parent's headers only when it
sets none of its own, which is how a location silently loses the server's security headers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

SPECIAL = frozenset("{};")


class NginxSyntaxError(ValueError):
    """The text is not a well-formed nginx configuration (unbalanced braces, a directive without `;`)."""


@dataclass(frozen=True)
class Directive:
    """One directive; a block directive (`http`, `server`, `location`) has children, a simple one has None."""

    name: str
    args: tuple[str, ...]
    children: tuple[Directive, ...] | None = None

    def all(self, name: str) -> list[Directive]:
        """The direct children called `name`."""
        return [child for child in self.children or () if child.name == name]


def _tokens(text: str) -> Iterator[tuple[str, bool]]:
    """(token, is_syntax) pairs: `{`, `}` and `;` outside quotes are syntax; quoted strings lose their quotes."""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif char in SPECIAL:
            yield char, True
            i += 1
        elif char in "'\"":
            end, value = i + 1, []
            while end < n and text[end] != char:
                if text[end] == "\\" and end + 1 < n:
                    end += 1
                value.append(text[end])
                end += 1
            if end >= n:
                raise NginxSyntaxError(f"unterminated string starting at offset {i}")
            yield "".join(value), False
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in SPECIAL and text[i] != "#":
                i += 1
            yield text[start:i], False


def parse(text: str) -> tuple[Directive, ...]:
    """The top-level directives of a configuration.

    Raises:
        NginxSyntaxError: on unbalanced braces or a directive left open at the end.
    """
    stack: list[tuple[list[str], list[Directive]]] = [([], [])]
    words: list[str] = []
    for token, syntax in _tokens(text):
        if not syntax:
            words.append(token)
        elif token == ";":
            if not words:
                raise NginxSyntaxError("an empty directive (a lone ';')")
            stack[-1][1].append(Directive(words[0], tuple(words[1:])))
            words = []
        elif token == "{":
            if not words:
                raise NginxSyntaxError("a block without a name")
            stack.append((words, []))
            words = []
        else:
            if len(stack) == 1 or words:
                raise NginxSyntaxError("an unexpected '}'")
            head, children = stack.pop()
            stack[-1][1].append(Directive(head[0], tuple(head[1:]), tuple(children)))
    if len(stack) != 1 or words:
        raise NginxSyntaxError("the configuration ends inside a block or a directive")
    return tuple(stack[0][1])


def servers(tree: Sequence[Directive]) -> list[Directive]:
    """Every `server` block of the `http` blocks."""
    return [server for top in tree if top.name == "http" for server in top.all("server")]


def listen_addresses(server: Directive) -> list[str]:
    """What each `listen` of the server names: `8080`, `127.0.0.1:5056`, `[::]:8080`, ...

    A server without `listen` listens on port 80 of every address, as nginx does.
    """
    return [listen.args[0] for listen in server.all("listen") if listen.args] or ["80"]


def locations(block: Directive, parents: tuple[Directive, ...] = ()) -> Iterator[tuple[Directive, ...]]:
    """The chain (block, ..., location) of every location under `block`, nested ones included."""
    chain = (*parents, block)
    for location in block.all("location"):
        yield (*chain, location)
        yield from locations(location, chain)


def location_path(location: Directive) -> tuple[str, str]:
    """(modifier, path): `("=", "/x")` for an exact match, `("", "/x")` for a prefix, `("@", "@name")` for a name."""
    args = location.args
    if len(args) >= 2:
        return args[0], args[1]
    path = args[0] if args else ""
    return ("@" if path.startswith("@") else ""), path


def effective_headers(chain: Sequence[Directive]) -> dict[str, str]:
    """The headers `add_header` sets at the innermost level of `chain` (lower-case name -> value).

    nginx takes the innermost level that has any `add_header` and ignores every level above it.
    """
    for level in reversed(chain):
        found = level.all("add_header")
        if found:
            return {d.args[0].lower(): d.args[1] if len(d.args) > 1 else "" for d in found if d.args}
    return {}
