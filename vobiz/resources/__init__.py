"""The client's resource methods, one mixin per API family, all on ``BaseClient``."""

from vobiz.resources.billing import BillingMethods
from vobiz.resources.numbers import NumberMethods
from vobiz.resources.sub_accounts import SubAccountMethods
from vobiz.resources.trunks import TrunkMethods

__all__ = ["BillingMethods", "NumberMethods", "SubAccountMethods", "TrunkMethods"]
