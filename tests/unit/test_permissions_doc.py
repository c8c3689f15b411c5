"""The permission table in docs/permissions.md is the one in code."""

from pathlib import Path

from trustledger.domain.roles import PERMISSIONS, Permission, Role

DOC = Path(__file__).parents[2] / "docs" / "permissions.md"


def test_the_documented_table_is_the_code_table() -> None:
    lines = DOC.read_text().splitlines()
    header = next(line for line in lines if line.startswith("| permission |"))
    roles = [Role(c.strip()) for c in header.strip("|").split("|")[1:]]
    documented = {}
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if (
            cells
            and cells[0].startswith("`")
            and cells[0].strip("`") in {p.value for p in Permission}
        ) and len(cells) == len(roles) + 1:
            documented[Permission(cells[0].strip("`"))] = {
                r for r, cell in zip(roles, cells[1:], strict=True) if cell == "yes"
            }
    assert set(roles) == set(Role)
    assert documented == {p: {r for r in Role if p in PERMISSIONS[r]} for p in Permission}
