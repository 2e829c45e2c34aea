"""The risk register: a unit's risks of unlawful influence in a round, and the city-wide view.

A register is the unit's answers to the round's `risk_template` questionnaire, stored and
versioned by the one submission workflow (`app.services.submissions`): every risk is one
top-level entry `"risk_<random>": {...}` of the answers dict, so the history records each
risk's changes and two editors' saves are checked against each other as for the
self-assessment.

- `values`: a risk, its measures and follow-ups, its level, its form as an answers entry, labels;
- `validation`: `check_register`, the workflow's `check` for this kind of answers;
- `entries`: the answers entries besides risks (why none applies) and a risk's carried-from link;
- `register`: a unit's register in a round and the operations that change it;
- `carry`: carrying last year's risks and open measures forward;
- `years`: a register, and the city's registers, year over year;
- `city`: the city-wide overview of a round's submitted registers;
- `changes`: a history event read per risk.

City-wide figures count submitted registers only (as the unit report's distributions do).
They are computed from the registers loaded in one query per round: a register is one row per
unit, so the rows are few, and the risk entries inside them live in JSON, whose functions
differ between SQLite and PostgreSQL.
"""
