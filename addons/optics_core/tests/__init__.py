from . import (
    test_access,
    test_axis,
    test_glasses_job,
    test_lens_search,
    test_prescription_flow,
    test_prescription_validation,
    test_quality_check,
    test_tolerance_tables,
    test_vca_export,
    test_views,
)
