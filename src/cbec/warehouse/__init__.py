"""Bonded warehouses (1210): the stock ledger of every bonded account, handheld scanning,
stocktake counts and the alerts they raise."""
