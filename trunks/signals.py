"""What trunks tells the apps above it, which it must not import.

`trunk_removed` is sent inside the transaction that marks a trunk removed
(Vobiz unroutes the numbers that pointed at it): receivers update what they own
in the same transaction. Arguments: `trunk` (locked) and `now`.
"""

from django.dispatch import Signal

trunk_removed = Signal()
