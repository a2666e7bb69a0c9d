"""One simulated day (2,000 orders), generated and written once for the sim suite, and its
messages read back through the codec as the intake reads them."""

from __future__ import annotations

import pytest

from cbec.sim.output import write
from cbec.sim.simulation import Options, generate
from tests.sim.reading import Written

DAY_OPTIONS = Options(orders=2000, seed=11)


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    out = tmp_path_factory.mktemp("simday")
    day = generate(DAY_OPTIONS)
    write(day, out, as_zip=False)
    return Written.read(out, day)
