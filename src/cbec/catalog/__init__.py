"""The catalogue: positive list, HS codes with tax rates, policy parameters, by date."""
