from . import (
    mrp_production,
    optics_job_measurement,
    optics_lens_coating,
    optics_lens_range,
    optics_prescription,
    optics_tolerance_line,
    optics_tolerance_profile,
    optics_vca_code,
    product_template,
    res_company,
    res_config_settings,
    res_partner,
)
