"""The synthetic French economy: monthly deliveries in the real raw formats, plus a ground truth.

    from orchestration.synthetic import generate, TIERS
    summary = generate("tiny", 42, Path("data/landing"), Path("data/synthetic"))

Pure Python + numpy/pyarrow (no Dagster), deterministic for a given seed. Layout:

- `tiers`, `timeline`: presets and month arithmetic;
- `reference`, `geography`, `sectors`, `names`, `identifiers`: the static world (communes, NAF,
  legal forms, names, Luhn-valid SIREN/SIRET);
- `population`: companies, establishments, URSSAF accounts;
- `shocks`, `health`, `dynamics`, `proceedings`, `ledger`: the monthly simulation (`Economy`),
  the state every writer reads;
- `partial_activity` (DGEFP requests and claims) and `accounts` (annual statements, with their
  `ratios`): records derived from that state, shared by several writers, with their own seeds so
  the economy and its truth do not depend on which files are written;
- `oracle`: exact 18-month probabilities of a first opening;
- `csvtext`, `malformed`, `layouts`, `writers/`: the delivered files (one writer per source, all
  sixteen of raw-sources.md; late deliveries and malformed lines included);
- `truth`, `generator`: ground truth files and the entry point.

Adding a source means adding a writer under `writers/` that reads `Economy` (headcount, health,
partial-activity share, contributions and debts, proceedings events, Sirene dates) and listing it
in `generator.WRITERS`.
"""

from orchestration.synthetic.generator import Summary, generate
from orchestration.synthetic.tiers import TIERS, Tier

__all__ = ["TIERS", "Summary", "Tier", "generate"]
