"""A seeded generator of staged CSV files, valid ones and broken ones, each labelled with what Personalize does.

Every file starts from a small valid file of one dataset (the pipeline's own schemas) and takes one or two
mutations: a value written another way, a value of the wrong type or width, or a change to the file's structure.
Each mutation knows whether Personalize's import accepts the result; a file is valid when all of its mutations
are. Valid values also keep our quality rules (ranges, sets, uniqueness), so the gate has no reason of its own to
refuse a file the import would take.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

HEADERS = {
    "interactions": ["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"],
    "items": ["ITEM_ID", "GENRES", "CREATION_TIMESTAMP"],
    "users": ["USER_ID", "AGE", "GENDER", "LOCATION", "EDUCATION"],
}
T0 = 1_750_000_000
WORDS = ["arte", "fisica", "musica", "historia", "quimica"]


def _base(dataset: str, rng: random.Random) -> list[list[str]]:
    if dataset == "interactions":
        return [[f"u{u}", f"i{(u * 5 + k) % 17}", rng.choice(["click", "watch"]), rng.choice(["1", "2.5", "3", "5"]),
                 str(T0 + u * 1000 + k * 37)] for u in range(10) for k in range(3)]
    if dataset == "items":
        return [[f"i{n}", "|".join(rng.sample(WORDS, rng.randint(1, 3))), str(T0 - n * 86_400)] for n in range(20)]
    return [[f"u{n}", str(rng.randint(18, 70)), rng.choice("FMX"), rng.choice(["cali", "lima", "quito"]),
             rng.choice(["pregrado", "posgrado"])] for n in range(20)]


@dataclass
class CsvFile:
    dataset: str
    rows: list[list[str]]
    mutations: list[str] = field(default_factory=list)  # what was done, and where
    kinds: list[str] = field(default_factory=list)  # which mutations, by name
    valid: bool = True
    line_end: str = "\n"
    final_newline: bool = True
    prefix: bytes = b""
    blank_tail: bool = False  # an empty line after the last record
    header_text: str | None = None
    raw_lines: dict[int, bytes] = field(default_factory=dict)  # line index (0 = header) -> bytes as written
    extra_lines: list[tuple[int, str]] = field(default_factory=list)  # (insert after data row, text)
    touched: set[int] = field(default_factory=set)  # data rows a mutation changed: each mutation takes its own

    def untouched_row(self, rng: random.Random) -> int:
        row = rng.choice([r for r in range(len(self.rows)) if r not in self.touched])
        self.touched.add(row)
        return row

    def to_bytes(self) -> bytes:
        lines = [(self.header_text or ",".join(HEADERS[self.dataset])).encode()]
        lines += [",".join(row).encode() for row in self.rows]
        for index, raw in self.raw_lines.items():
            lines[index] = raw
        for index, text in sorted(self.extra_lines, reverse=True):
            lines.insert(index + 1, text.encode())
        ends = 2 if self.blank_tail else 1 if self.final_newline else 0
        body = self.line_end.encode().join(lines) + self.line_end.encode() * ends
        return self.prefix + body


# A value mutation: (column kinds it applies to, text for a row's value, accepted by Personalize?)
ValueMaker = Callable[[random.Random, int], str]
VALUE_MUTATIONS: list[tuple[str, frozenset[str], ValueMaker, bool]] = [
    # ids: required strings of at most 256 characters
    ("accented id", frozenset({"id"}), lambda r, n: f"josé-ñandú-{n}", True),
    ("quoted id with a comma", frozenset({"id"}), lambda r, n: f'"id,{n}"', True),
    ("quoted id with a doubled quote", frozenset({"id"}), lambda r, n: f'"id""{n}"', True),
    ("256-character id", frozenset({"id"}), lambda r, n: f"{n}-".ljust(256, "x"), True),
    ("257-character id", frozenset({"id"}), lambda r, n: f"{n}-".ljust(257, "x"), False),
    ("empty id", frozenset({"id"}), lambda r, n: "", False),
    ("quote inside a bare id", frozenset({"id"}), lambda r, n: f'id"{n}', False),
    ("text after a closing quote", frozenset({"id"}), lambda r, n: f'"id{n}"x', False),
    ("unterminated quote", frozenset({"id"}), lambda r, n: f'"id{n}', False),
    ("line break inside a quoted id", frozenset({"id"}), lambda r, n: f'"id\n{n}"', False),
    # categorical strings (nullable)
    ("empty categorical", frozenset({"categorical"}), lambda r, n: "", True),
    ("1000-character categorical", frozenset({"categorical"}), lambda r, n: "|".join(["arte"] * 200)[:999] + "e", True),
    ("1001-character categorical", frozenset({"categorical"}), lambda r, n: "|".join(["arte"] * 200) + "|a", False),
    ("accented location", frozenset({"free categorical"}), lambda r, n: "bogotá", True),
    # EVENT_TYPE: a required string
    ("quoted event type", frozenset({"event type"}), lambda r, n: '"click"', True),
    ("empty event type", frozenset({"event type"}), lambda r, n: "", False),
    # int (AGE: nullable)
    ("empty int", frozenset({"int"}), lambda r, n: "", True),
    ("int with a plus sign", frozenset({"int"}), lambda r, n: f"+{r.randint(18, 70)}", True),
    ("int with leading zeros", frozenset({"int"}), lambda r, n: f"00{r.randint(18, 70)}", True),
    ("quoted int", frozenset({"int"}), lambda r, n: f'"{r.randint(18, 70)}"', True),
    ("word in an int", frozenset({"int"}), lambda r, n: "abc", False),
    ("decimal in an int", frozenset({"int"}), lambda r, n: f"{r.randint(18, 70)}.0", False),
    ("exponent in an int", frozenset({"int"}), lambda r, n: "3e1", False),
    ("int overflow", frozenset({"int"}), lambda r, n: "2147483648", False),
    ("int with a space", frozenset({"int"}), lambda r, n: f" {r.randint(18, 70)}", False),
    ("NaN in an int", frozenset({"int"}), lambda r, n: "NaN", False),
    # long (timestamps: required)
    ("long with a plus sign", frozenset({"long"}), lambda r, n: f"+{T0 + n}", True),
    ("long with leading zeros", frozenset({"long"}), lambda r, n: f"0{T0 + n}", True),
    ("quoted long", frozenset({"long"}), lambda r, n: f'"{T0 + n}"', True),
    ("empty long", frozenset({"long"}), lambda r, n: "", False),
    ("decimal in a long", frozenset({"long"}), lambda r, n: f"{T0 + n}.0", False),
    ("exponent in a long", frozenset({"long"}), lambda r, n: "1.75e9", False),
    ("long overflow", frozenset({"long"}), lambda r, n: "9223372036854775808", False),
    ("word in a long", frozenset({"long"}), lambda r, n: "yesterday", False),
    ("long with a trailing space", frozenset({"long"}), lambda r, n: f"{T0 + n} ", False),
    # float (EVENT_VALUE: nullable)
    ("empty float", frozenset({"float"}), lambda r, n: "", True),
    ("float without fraction", frozenset({"float"}), lambda r, n: "4", True),
    ("float with a trailing point", frozenset({"float"}), lambda r, n: "3.", True),
    ("float with a leading point", frozenset({"float"}), lambda r, n: ".5", True),
    ("float with an exponent", frozenset({"float"}), lambda r, n: "0.25E+1", True),
    ("float with a plus sign", frozenset({"float"}), lambda r, n: "+2.5", True),
    ("NaN in a float", frozenset({"float"}), lambda r, n: r.choice(["NaN", "nan"]), False),
    ("infinity in a float", frozenset({"float"}), lambda r, n: r.choice(["inf", "Infinity", "-inf"]), False),
    ("float overflow", frozenset({"float"}), lambda r, n: "1e39", False),
    ("decimal comma in a float", frozenset({"float"}), lambda r, n: '"3,5"', False),
    ("hex float", frozenset({"float"}), lambda r, n: "0x1p1", False),
    ("word in a float", frozenset({"float"}), lambda r, n: "high", False),
]

COLUMN_KINDS = {
    "USER_ID": {"id"}, "ITEM_ID": {"id"}, "EVENT_TYPE": {"event type"}, "EVENT_VALUE": {"float"},
    "TIMESTAMP": {"long"}, "CREATION_TIMESTAMP": {"long"}, "AGE": {"int"}, "GENRES": {"categorical"},
    "GENDER": set(), "LOCATION": {"categorical", "free categorical"}, "EDUCATION": {"categorical", "free categorical"},
}


def _mutate_value(csv: CsvFile, rng: random.Random, serial: int) -> None:
    """serial makes generated ids unique across the file's mutations."""
    header = HEADERS[csv.dataset]
    # Each applicable mutation is as likely as any other, whatever the number of columns it fits.
    name, kinds, make, ok = rng.choice([m for m in VALUE_MUTATIONS if any(m[1] & COLUMN_KINDS[c] for c in header)])
    column = rng.choice([c for c in header if kinds & COLUMN_KINDS[c]])
    row = csv.untouched_row(rng)
    csv.rows[row][header.index(column)] = make(rng, serial)
    csv.mutations.append(f"{name} in {column} (data row {row + 1})")
    csv.kinds.append(name)
    csv.valid &= ok


VALID_STRUCTURES = ("crlf", "no final newline", "quote every field")
STRUCTURE_MUTATIONS = (*VALID_STRUCTURES, "bom", "blank line", "trailing blank line", "comma-only line", "lone cr",
                       "extra field", "missing field", "quoted header", "invalid utf-8")


def _structure(csv: CsvFile, rng: random.Random, serial: int) -> None:
    width = len(HEADERS[csv.dataset])
    row = csv.untouched_row(rng)
    kind = rng.choice(STRUCTURE_MUTATIONS)
    ok = kind in VALID_STRUCTURES
    if kind == "crlf":
        csv.line_end = "\r\n"
    elif kind == "no final newline":
        csv.final_newline = False
    elif kind == "quote every field":
        csv.rows[row] = [f'"{v}"' if '"' not in v and "\n" not in v else v for v in csv.rows[row]]
    elif kind == "bom":
        csv.prefix = b"\xef\xbb\xbf"
    elif kind == "blank line":
        csv.extra_lines.append((row, ""))
    elif kind == "trailing blank line":
        csv.blank_tail = True
    elif kind == "comma-only line":
        csv.extra_lines.append((row, "," * (width - 1)))
    elif kind == "lone cr":
        values = csv.rows[row]
        values[0] = values[0] + "\r"
    elif kind == "extra field":
        csv.rows[row] = [*csv.rows[row], "extra"]
    elif kind == "missing field":
        csv.rows[row] = csv.rows[row][:-1]
    elif kind == "quoted header":
        csv.header_text = ",".join(f'"{h}"' for h in HEADERS[csv.dataset])
    else:
        csv.raw_lines[row + 1] = ",".join(csv.rows[row]).encode().replace(b",", b"\xff,", 1)
    csv.mutations.append(f"{kind} (data row {row + 1})")
    csv.kinds.append(kind)
    csv.valid &= ok


def generate(count: int, seed: int) -> list[CsvFile]:
    """count files over the three datasets, about a third valid."""
    rng = random.Random(seed)
    files = []
    for serial in range(count):
        dataset = ("interactions", "items", "users")[serial % 3]
        csv = CsvFile(dataset, _base(dataset, rng))
        for step in range(rng.choice([1, 1, 2])):
            (_mutate_value if rng.random() < 0.65 else _structure)(csv, rng, serial * 10 + step)
        files.append(csv)
    return files
