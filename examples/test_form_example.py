"""How a form author tests a form's skip logic in their own repository: three lines.

Run with:  pytest examples/test_form_example.py
(the ``qengine_check`` fixture comes from qengine's pytest plugin, installed with qengine).
"""

from pathlib import Path

FORM = Path(__file__).parent / "household_mini.yaml"


def test_household_mini(qengine_check):
    """The example form passes every standard property of qengine.testing."""
    qengine_check(FORM)
