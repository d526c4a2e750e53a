from . import fiscal_dead_letter
