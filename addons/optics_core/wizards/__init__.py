from . import optics_glasses_job_wizard
