"""Cold start: the exploration campaign randomises the playbook's offers within the budget,
respects each offer's limits, and keeps a control group."""

import numpy as np
import pandas as pd
import pytest

from serving.catalogue import Catalogue
from serving.decision import DecisionPolicy
from serving.exploration import Exploration, Playbook, explore

CAT = Catalogue.from_toml()


def scores(n=2_000, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "subscriber_id": np.arange(n),
            "value_tier": rng.choice(["super", "medium", "small", "inactive"], n),
            "relationship_state": rng.choice(["needs care", "growing", "loyal"], n),
            "contract_type": rng.choice(["prepaid", "postpaid"], n),
        }
    )


def test_exploration_is_random_within_budget_and_limits(tmp_path):
    s = scores()
    book = Playbook.from_toml(None, CAT)
    policy = DecisionPolicy(budget_vnd=5_000_000, control_share=0.1, campaign_id="X1")
    plan = explore(s, Exploration(CAT, book, tmp_path / "unused"), policy)
    t = plan[plan.group == "treatment"]
    assert 0 < t.cost_vnd.sum() <= 5_000_000 and plan.subscriber_id.is_unique
    assert (plan.group == "control").sum() >= np.ceil(0.1 * len(t))
    rows = s.set_index("subscriber_id").loc[plan.subscriber_id]
    keys = set(zip(rows.value_tier, rows.relationship_state, strict=True))
    assert keys <= set(book.segments) and "loyal" not in set(rows.relationship_state)
    postpaid = rows.contract_type.to_numpy() == "postpaid"
    assert not (plan.offer_id.to_numpy()[postpaid] == "RECHARGE_BONUS").any()  # prepaid only
    assert len(set(t.offer_id)) == 3  # every candidate offer is tried
    assert plan.equals(explore(s, Exploration(CAT, book, tmp_path / "unused"), policy))


def test_bad_playbook_is_refused(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[[segment]]\ntiers = ["gold"]\nstates = ["loyal"]\noffers = ["DATA_BONUS"]\n')
    with pytest.raises(ValueError, match=r"segment\[0\].tiers: unknown \['gold'\]"):
        Playbook.from_toml(path, CAT)
    path.write_text('[[segment]]\ntiers = ["super"]\nstates = ["loyal"]\noffers = ["NOPE"]\n')
    with pytest.raises(ValueError, match="not in the catalogue"):
        Playbook.from_toml(path, CAT)


def test_exploration_keeps_the_control_the_power_calculation_asks_for(tmp_path):
    """A control larger than the treated group (as in the demo: ~150 treated, 519 asked) is
    kept whole: control rows cost nothing, so the budget does not limit them."""
    s = scores(n=4_000)
    book = Exploration(CAT, Playbook.from_toml(None, CAT), tmp_path / "unused")
    small = DecisionPolicy(budget_vnd=1_000_000, control_share=0.1, campaign_id="X2")
    asked = DecisionPolicy(budget_vnd=1_000_000, control_share=0.1, campaign_id="X2",
                           min_control=519)  # fmt: skip
    base, plan = explore(s, book, small), explore(s, book, asked)
    t = plan[plan.group == "treatment"]
    assert 0 < len(t) < 519 and t.cost_vnd.sum() <= 1_000_000
    assert (plan.group == "control").sum() == 519 and plan.subscriber_id.is_unique
    assert (plan[plan.group == "control"].cost_vnd == 0).all()
    assert t.reset_index(drop=True).equals(
        base[base.group == "treatment"].reset_index(drop=True)
    )  # the treated rows are the same: only the control grew
    assert (base.group == "control").sum() < 519
    nothing = DecisionPolicy(budget_vnd=0, control_share=0.1, campaign_id="X2", min_control=519)
    assert explore(s, book, nothing).empty  # no treated row, no campaign


def test_a_small_eligible_pool_treats_fewer_so_the_control_gets_what_it_asks(tmp_path):
    """When the budget could treat every eligible subscriber, the control the power
    calculation asks for comes out of the treated rows (up to half of the campaign)
    instead of staying below what was asked."""
    s = scores(n=1_200)
    book = Exploration(CAT, Playbook.from_toml(None, CAT), tmp_path / "unused")
    rich = DecisionPolicy(budget_vnd=1e12, control_share=0.1, campaign_id="X3", min_control=150)
    plan = explore(s, book, rich)
    control, treated = plan[plan.group == "control"], plan[plan.group == "treatment"]
    everyone = explore(s, book, DecisionPolicy(budget_vnd=1e12, control_share=0.1,
                                               campaign_id="X3"))  # fmt: skip
    assert len(plan) == len(everyone)  # the eligible pool, all in the campaign
    assert len(control) == 150 and len(treated) == len(plan) - 150
    assert set(treated.subscriber_id) < set(everyone[everyone.group == "treatment"].subscriber_id)
    huge = explore(s, book, DecisionPolicy(budget_vnd=1e12, control_share=0.1,
                                           campaign_id="X3", min_control=10_000))  # fmt: skip
    assert (huge.group == "control").sum() == len(huge) // 2  # at most half the campaign
    assert huge.subscriber_id.is_unique and (huge[huge.group == "control"].cost_vnd == 0).all()
