import pytest

from tests import factories


@pytest.fixture
def campaign(db):
    return factories.CampaignFactory(survey=factories.skip_logic_survey())
