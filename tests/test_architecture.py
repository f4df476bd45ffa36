"""The map of DESIGN.md, kept: every module under src/plainnet is read with ``ast`` (nothing is
imported) and every import in it, at the top or inside a function, is checked.

- no import cycle between plainnet modules (a package's ``__init__`` is a module of its own);
- no import up the levels, and no import of the top-level package ``plainnet`` (the public
  API) except by the command line; every module has a level;
- no underscore name of another module, imported or read as an attribute;
- no module named like a standard-library module.

Imports under ``if TYPE_CHECKING:`` are skipped (they never run). Statements under
``if __name__ == "__main__":`` are no exception: only ``__main__`` modules and the command
line may import ``plainnet.cli``.

The underscore check goes by name: ``x._name`` passes when the file itself defines ``_name``
(a def or class, a module- or class-level name, ``self._name =``/``cls._name =``), whatever
``x`` is. It cannot tell two classes' members of one name apart, but it never reports a
file for using what it defines.
"""

from __future__ import annotations

import ast
import fnmatch
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "plainnet"
API = -1  # the level of plainnet/__init__.py: it may import L0 to L4, and only L6 imports it

#: DESIGN.md's levels, the first matching pattern wins (so saving.onnx is L4, not L1)
LEVELS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (6, ("plainnet.cli", "*.__main__")),
    (5, ("plainnet.sweep", "plainnet.playground", "plainnet.playground.*")),
    (4, ("plainnet.estimators", "plainnet.jobs", "plainnet.gradcheck", "plainnet.plotting",
         "plainnet.saving.onnx")),
    (3, ("plainnet.network",)),
    (2, ("plainnet.training", "plainnet.training.*", "plainnet.callbacks")),
    (1, ("plainnet.nn", "plainnet.nn.*", "plainnet.optimizers", "plainnet.datasets",
         "plainnet.datasets.*", "plainnet.labels", "plainnet.metrics", "plainnet.saving",
         "plainnet.saving.*")),
    (0, ("plainnet.errors", "plainnet.checks", "plainnet.backend")),
)

#: underscore attributes of other libraries that plainnet may read, each with its reason
#: (none is needed today; an entry is ``"_name": "why"``)
ALLOWED_PRIVATE: Mapping[str, str] = {}


def level_of(module: str) -> int | None:
    """The level of ``module``: API for the package itself, None for a module off the map."""
    if module == PACKAGE:
        return API
    for level, patterns in LEVELS:
        if any(fnmatch.fnmatchcase(module, p) for p in patterns):
            return level
    return None


def _shown(level: int | None) -> str:
    return "the public API" if level == API else f"L{level}"


# --- reading the tree ------------------------------------------------------------------------

@dataclass(frozen=True)
class Import:
    """One import of a plainnet module by another."""

    importer: str
    target: str  # the module it runs: a submodule when one is named, else the module itself
    names: tuple[str, ...]  # the names it takes from ``target`` (empty for a whole module)
    line: int
    text: str  # the statement, as written

    def where(self, modules: Mapping[str, Path], root: Path) -> str:
        return f"{modules[self.importer].relative_to(root)}:{self.line}: `{self.text}`"


def find_modules(root: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Module name -> file, for every .py file of ``root/package``; ``__init__.py`` is its
    package."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node below ``tree``, except what lies under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield child
                yield from walk(child)
            continue
        yield node
        yield from walk(node)


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _existing(name: str, modules: Mapping[str, Path]) -> str:
    """``name``, or its longest prefix that is a module (``import a.b.c`` runs a.b.c)."""
    while name not in modules and "." in name:
        name = name.rpartition(".")[0]
    return name


def read_imports(module: str, path: Path, modules: Mapping[str, Path],
                 package: str = PACKAGE) -> list[Import]:
    """The imports of plainnet modules in ``module``'s file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package or alias.name.startswith(package + "."):
                    found.append(Import(module, _existing(alias.name, modules), (),
                                        node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(module, path)
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if not (base == package or base.startswith(package + ".")):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                target, names = (sub, ()) if sub in modules else (base, (alias.name,))
                found.append(Import(module, _existing(target, modules), names, node.lineno,
                                    ast.unparse(node)))
    return found


def all_imports(root: Path, package: str = PACKAGE) -> tuple[dict[str, Path], list[Import]]:
    modules = find_modules(root, package)
    imports = [i for name, path in modules.items()
               for i in read_imports(name, path, modules, package)]
    return modules, imports


# --- the checks: each returns one line per fault -----------------------------------------------

def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def unplaced_modules(root: Path) -> list[str]:
    """Modules that DESIGN.md's levels do not place."""
    return [f"{path.relative_to(root)}: {name} has no level; add it to DESIGN.md's map and to "
            "LEVELS in tests/test_architecture.py"
            for name, path in find_modules(root).items() if level_of(name) is None]


def upward_imports(root: Path) -> list[str]:
    """Imports that run up the levels, of the apps by the public API, or of the top-level
    package by anything but the command line."""
    modules, imports = all_imports(root)
    faults = []
    for imp in imports:
        low = level_of(imp.importer)
        high = level_of(imp.target)
        if low is None or high is None or imp.importer == imp.target:
            continue  # unplaced modules are reported on their own
        if high == API and low != 6:
            why = (f"{imp.importer} imports the top-level package {PACKAGE} (the public API); "
                   "import the name from the module that defines it")
        elif low == API and high >= 5:
            why = f"the public API imports the app {imp.target} (L{high})"
        elif low != API and high > low:
            why = (f"{imp.importer} (L{low}) imports {imp.target} (L{high}), a level above "
                   "it")
        else:
            continue
        faults.append(f"{imp.where(modules, root)}: {why}")
    return faults


def import_cycles(root: Path) -> list[str]:
    """Each cycle of imports (a strongly connected set of modules), with the imports in it."""
    modules, imports = all_imports(root)
    edges: dict[str, list[Import]] = {name: [] for name in modules}
    for imp in imports:
        if imp.importer != imp.target:
            edges[imp.importer].append(imp)
    faults = []
    for component in _strongly_connected(edges):
        if len(component) > 1:
            inside = list(dict.fromkeys(  # one line per statement, not per name it takes
                imp.where(modules, root) + f" ({imp.importer} -> {imp.target})"
                for name in sorted(component) for imp in edges[name] if imp.target in component))
            faults.append(f"import cycle between {', '.join(sorted(component))}:\n    "
                          + "\n    ".join(inside))
    return sorted(faults)


def _strongly_connected(edges: Mapping[str, list[Import]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for imp in children:
                child = imp.target
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def _defined_private(tree: ast.AST) -> set[str]:
    """The underscore names a file defines: its functions, methods and classes, its
    module-level and class-level names, ``self._x``/``cls._x`` it assigns, its __slots__."""
    defined = set()

    def top_level(body: list[ast.stmt]) -> None:  # the module's or a class's own names
        for node in body:
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets = [node.target]
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                defined.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                top_level([*node.body, *getattr(node, "orelse", []),
                           *getattr(node, "finalbody", []),
                           *(s for h in getattr(node, "handlers", []) for s in h.body)])
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        defined.add(name.id)
                    if (isinstance(name, ast.Constant) and isinstance(name.value, str)
                            and isinstance(target, ast.Name) and target.id == "__slots__"):
                        defined.add(name.value)
            if (isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets)):
                defined.update(c.value for c in ast.walk(node.value)
                               if isinstance(c, ast.Constant) and isinstance(c.value, str))

    top_level(tree.body)  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        if isinstance(node, ast.ClassDef):
            top_level(node.body)
        if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            defined.add(node.attr)
    return {name for name in defined if _private(name)}


def private_uses(root: Path) -> list[str]:
    """Underscore names taken from another module: imported, or read or written as an
    attribute (``x._name``, ``getattr(x, "_name")``) that this file does not define."""
    modules, imports = all_imports(root)
    faults = []
    for imp in imports:
        if imp.target == imp.importer:
            continue
        taken = [n for n in imp.names if _private(n)]
        if not imp.names:  # a whole module: private when a part of its name is
            taken = [p for p in imp.target.split(".") if _private(p)]
        if taken:
            faults.append(f"{imp.where(modules, root)}: takes {', '.join(taken)}, private to "
                          f"{imp.target}")
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        defined = _defined_private(tree)
        for node in sorted((n for n in ast.walk(tree) if hasattr(n, "lineno")),
                           key=lambda n: (n.lineno, n.col_offset)):
            attr = None
            if isinstance(node, ast.Attribute):
                attr = node.attr
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
                  and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                  and isinstance(node.args[1].value, str)):
                attr = node.args[1].value
            if (attr is not None and _private(attr) and attr not in defined
                    and attr not in ALLOWED_PRIVATE):
                text = ast.unparse(node)
                text = text if len(text) <= 60 else text[:57] + "..."
                faults.append(f"{path.relative_to(root)}:{node.lineno}: `{text}` uses "
                              f"{attr}, which {name} does not define: another module's "
                              "private member")
    return faults


def stdlib_names(root: Path) -> list[str]:
    """Modules and packages named like a standard-library module (``io.py``, ``csv.py``):
    confusing to read, and shadowing it wherever the folder lands on sys.path."""
    return [f"{path.relative_to(root)}: {name} is named like the standard library's "
            f"{name.rpartition('.')[2]!r}; rename it"
            for name, path in find_modules(root).items()
            if name.rpartition(".")[2] in sys.stdlib_module_names
            and not name.endswith(".__main__")]


CHECKS = {
    "modules off the map": unplaced_modules,
    "imports up the levels": upward_imports,
    "import cycles": import_cycles,
    "underscore names of other modules": private_uses,
    "modules named like the standard library's": stdlib_names,
}


# --- plainnet itself -------------------------------------------------------------------------

@pytest.mark.parametrize("check", list(CHECKS))
def test_plainnet_keeps_the_map(check):
    faults = CHECKS[check](SRC)
    assert not faults, f"{len(faults)} {check}:\n" + "\n".join(faults)


def test_the_reader_sees_the_modules_and_their_imports():
    """A guard against a checker that passes because it reads nothing."""
    modules, imports = all_imports(SRC)
    assert {"plainnet", "plainnet.cli", "plainnet.network", "plainnet.nn.dense",
            "plainnet.playground.server", "plainnet.playground.__main__"} <= set(modules)
    pairs = {(i.importer, i.target) for i in imports}
    assert ("plainnet", "plainnet.network") in pairs
    assert ("plainnet.playground.__main__", "plainnet.cli") in pairs


# --- each check can fail: a small tree with one fault of each kind -----------------------------

FAULTY = {
    "__init__.py": "from .network import Network\nfrom .sweep import sweep\n",
    "errors.py": "",
    "checks.py": "def check(x):\n    from .network import Network\n    return Network\n",
    "network.py": ("from typing import TYPE_CHECKING\n\nfrom .nn import dense\n"
                   "from .nn.dense import _shape, Dense\n\nif TYPE_CHECKING:\n"
                   "    from .jobs import train_job\n\n\nclass Network:\n"
                   "    def __init__(self):\n        self._rng = None\n\n"
                   "    def fit(self, layer):\n        return layer._cache, self._rng\n"),
    "nn/__init__.py": "",
    "nn/dense.py": ("from .io import read\n\n\ndef _shape():\n    return 1\n\n\n"
                    "class Dense:\n    pass\n"),
    "nn/io.py": "from .dense import Dense\n",
    "jobs.py": ("def run(net):\n    return getattr(net, '_rng'), net.__class__\n"),
    "sweep.py": ("from . import load\n\n\ndef sweep():\n    pass\n\n\n"
                 "if __name__ == '__main__':\n    from .cli import main\n    main()\n"),
    "cli.py": "from . import __version__\nfrom .sweep import sweep\n",
    "stray.py": "",
}


@pytest.fixture
def faulty(tmp_path):
    for name, text in FAULTY.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_a_cycle_is_reported(faulty):
    api, fault = import_cycles(faulty)
    assert api.startswith("import cycle between plainnet, plainnet.cli, plainnet.sweep:\n"
                          "    plainnet/__init__.py:2: `from .sweep import sweep` (plainnet -> "
                          "plainnet.sweep)\n")
    assert "    plainnet/sweep.py:1: `from . import load` (plainnet.sweep -> plainnet)" in api
    assert "plainnet/sweep.py:9: `from .cli import main` (plainnet.sweep -> plainnet.cli)" in api
    assert fault.startswith("import cycle between plainnet.nn.dense, plainnet.nn.io:")
    assert "plainnet/nn/dense.py:1: `from .io import read`" in fault
    assert "plainnet/nn/io.py:1: `from .dense import Dense`" in fault


def test_an_upward_import_is_reported(faulty):
    faults = upward_imports(faulty)
    assert len(faults) == 4, faults
    assert faults[0] == ("plainnet/__init__.py:2: `from .sweep import sweep`: the public API "
                         "imports the app plainnet.sweep (L5)")
    assert faults[1].startswith("plainnet/checks.py:2: `from .network import Network`: "
                                "plainnet.checks (L0) imports plainnet.network (L3)")
    assert faults[2].startswith("plainnet/sweep.py:1: `from . import load`: plainnet.sweep "
                                "imports the top-level package plainnet")
    # a script guard is no way round the map: nothing but __main__ modules imports cli
    assert faults[3].startswith("plainnet/sweep.py:9: `from .cli import main`: plainnet.sweep "
                                "(L5) imports plainnet.cli (L6)")
    # the TYPE_CHECKING import of jobs by network is not one


def test_a_private_name_is_reported(faulty):
    faults = private_uses(faulty)
    assert len(faults) == 3, faults
    assert faults[0].startswith("plainnet/network.py:4: `from .nn.dense import _shape, Dense`"
                                ": takes _shape, private to plainnet.nn.dense")
    assert faults[1].startswith("plainnet/jobs.py:2: `getattr(net, '_rng')` uses _rng")
    assert faults[2].startswith("plainnet/network.py:15: `layer._cache` uses _cache, which "
                                "plainnet.network does not define")


def test_a_stdlib_name_and_a_module_off_the_map_are_reported(faulty):
    assert stdlib_names(faulty) == ["plainnet/nn/io.py: plainnet.nn.io is named like the "
                                    "standard library's 'io'; rename it"]
    (fault,) = unplaced_modules(faulty)
    assert fault.startswith("plainnet/stray.py: plainnet.stray has no level")


# --- one place decides where arrays live -------------------------------------------------------

#: the hot path: every array of a training step is allocated through plainnet.backend here
HOT_PATH = ("nn/*.py", "optimizers.py", "network.py", "training/*.py", "labels.py")
#: NumPy's allocating constructors, which would pin an array to the host
CONSTRUCTORS = {"zeros", "empty", "full", "ones", "zeros_like", "empty_like", "ones_like",
                "full_like", "asarray", "array", "ascontiguousarray", "arange", "default_rng"}


def _dotted(node: ast.AST) -> str | None:
    """``np.random.default_rng`` for that attribute chain, None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def numpy_allocations(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) of every call of a NumPy constructor (``np.zeros(...)``,
    ``np.random.default_rng(...)``) and every import of one (``from numpy import zeros``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func) or ""
            root, last = name.partition(".")[0], name.rpartition(".")[2]
            if root in ("np", "numpy") and "." in name and last in CONSTRUCTORS:
                yield node.lineno, name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("numpy"):
            for alias in node.names:
                if alias.name in CONSTRUCTORS:
                    yield node.lineno, f"from {node.module} import {alias.name}"


def test_the_hot_path_allocates_through_the_backend():
    root = SRC / PACKAGE
    files = sorted({p for pattern in HOT_PATH for p in root.glob(pattern)})
    assert len(files) > 10
    found = [f"{p.relative_to(root)}:{line}: {call}(...)" for p in files
             for line, call in numpy_allocations(ast.parse(p.read_text()))]
    assert not found, "allocate through plainnet.backend instead:\n" + "\n".join(found)


def test_the_allocation_check_can_fail():
    tree = ast.parse("import numpy as np\nfrom numpy import empty\ndef f(x):\n"
                     "    return np.zeros(3) + np.add(x, 1) + np.random.default_rng(0)\n")
    assert sorted(numpy_allocations(tree)) == [(2, "from numpy import empty"),
                                               (4, "np.random.default_rng"), (4, "np.zeros")]


# --- a fit loop a learner can read ----------------------------------------------------------

BLOCKS = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try,
          ast.Match)


def nesting(node: ast.AST, depth: int = 0) -> int:
    """How deep blocks nest inside ``node``'s own body (nested functions count apart)."""
    deepest = depth
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        deepest = max(deepest, nesting(child, depth + isinstance(child, BLOCKS)))
    return deepest


def test_no_function_of_the_training_loop_nests_deeper_than_three_levels():
    root = SRC / PACKAGE
    deep = [f"{p.relative_to(root)}:{fn.lineno} {fn.name}: {nesting(fn)} levels"
            for p in sorted([*root.glob("training/*.py"), root / "network.py"])
            for fn in ast.walk(ast.parse(p.read_text()))
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and nesting(fn) > 3]
    assert not deep, "\n".join(deep)


def test_the_nesting_check_can_fail():
    tree = ast.parse("def f(xs):\n for x in xs:\n  if x:\n   with x:\n    while x:\n     pass\n")
    assert nesting(tree.body[0]) == 4


# --- the public names keep working ------------------------------------------------------------

def test_the_module_paths_the_readme_teaches_still_import():
    import importlib

    taught = {"plainnet.callbacks": ["Callback", "EarlyStopping", "ModelCheckpoint",
                                     "LearningRateScheduler"],
              "plainnet.datasets": ["load", "metadata", "one_hot", "train_val_split"],
              "plainnet.plotting": ["plot_history", "plot_confusion_matrix"],
              "plainnet.estimators": ["MLPClassifier", "MLPRegressor"],
              "plainnet.optimizers": ["SGD", "Adam", "RMSProp", "Optimizer"],
              "plainnet.nn": ["Layer", "Dense", "Flatten", "register"]}
    for module, names in taught.items():
        imported = importlib.import_module(module)
        missing = [name for name in names if not hasattr(imported, name)]
        assert not missing, f"{module} lacks {missing}"
    import plainnet
    from plainnet.callbacks import EarlyStopping
    assert EarlyStopping is plainnet.EarlyStopping
