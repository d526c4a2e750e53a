from . import (
    test_access,
    test_glasses_job,
    test_lens_search,
    test_prescription_flow,
    test_prescription_validation,
    test_views,
)
