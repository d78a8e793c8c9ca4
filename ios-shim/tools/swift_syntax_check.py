#!/usr/bin/env python3
"""Syntax check for Swift sources where no Swift compiler exists.

Parses each file with tree-sitter-swift and fails on any ERROR or MISSING
node, printing file:line:column and the line. This proves the files parse; it
does not type-check them (that needs a Swift toolchain, i.e. macOS).

tree-sitter-swift 0.7 rejects two constructs that are valid Swift and that
uniffi's generated code uses. Before parsing, and keeping line numbers, the
check rewrites exactly those:

1. an `#if` block holding nothing but attributes, such as
       #if swift(>=5.8)
       @_documentation(visibility: private)
       #endif
       fileprivate struct ...
   which the grammar cannot attach to the declaration after `#endif`: the
   directive lines are blanked, leaving the attributes (the branch every
   Swift >= 5.8 compiler takes);
2. the empty tuple used as a closure's value, `{ () }`, which becomes
   `{ Void() }` (the same value).

`--self-test` checks that both rewrites are still needed (so they can be
dropped when the grammar learns these forms) and that real syntax errors are
caught.
"""

import re
import sys

import tree_sitter
import tree_sitter_swift

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))

ATTRIBUTE_ONLY_IF = re.compile(
    rb"^([ \t]*#if [^\n]*)\n((?:[ \t]*@[^\n]*\n)+)([ \t]*#endif[^\n]*)$", re.M
)
UNIT_CLOSURE = re.compile(rb"\{ \(\) \}")


def prepare(source: bytes) -> bytes:
    source = ATTRIBUTE_ONLY_IF.sub(lambda m: b"\n" + m.group(2), source)
    return UNIT_CLOSURE.sub(b"{ Void() }", source)


def errors(source: bytes):
    """(line, column, kind) of every ERROR/MISSING node, in order."""
    tree = PARSER.parse(source)
    found = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            kind = f"missing {node.type}" if node.is_missing else "syntax error"
            found.append((node.start_point[0] + 1, node.start_point[1] + 1, kind))
        elif node.has_error:
            stack.extend(node.children)
    return sorted(found)


def check(paths) -> int:
    bad = 0
    for path in paths:
        with open(path, "rb") as f:
            source = prepare(f.read())
        lines = source.decode("utf-8", errors="replace").splitlines()
        found = errors(source)
        for line, col, kind in found[:20]:
            text = lines[line - 1].strip() if line <= len(lines) else ""
            print(f"{path}:{line}:{col}: {kind}: {text[:120]}")
        status = "ok" if not found else f"{len(found)} error(s)"
        print(f"parsed {path}: {status}")
        bad += bool(found)
    print(f"{len(paths) - bad} passed, {bad} failed")
    return 1 if bad else 0


def self_test() -> int:
    attr = b"#if swift(>=5.8)\n@_documentation(visibility: private)\n#endif\nfileprivate struct A {}\n"
    unit = b"func f() {\n    let w = { () }\n    w()\n}\n"
    broken = b"public func f( -> Int {\n    return 1\n}\n"
    ok = True
    for name, src in (("attribute-only #if", attr), ("unit closure", unit)):
        if not errors(src):
            print(f"self-test: tree-sitter-swift now parses the {name} itself; drop its rewrite")
            ok = False
        if errors(prepare(src)):
            print(f"self-test: the {name} rewrite no longer parses")
            ok = False
    if not errors(prepare(broken)):
        print("self-test: a real syntax error went unnoticed")
        ok = False
    print("self-test:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--self-test"]:
        sys.exit(self_test())
    if not args:
        print("usage: swift_syntax_check.py FILE.swift... | --self-test", file=sys.stderr)
        sys.exit(2)
    sys.exit(check(args))
