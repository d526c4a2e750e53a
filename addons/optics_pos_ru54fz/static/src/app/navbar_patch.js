/** @odoo-module */

import { Navbar } from "@point_of_sale/app/navbar/navbar";
import { FiscalStatus } from "./fiscal_status/fiscal_status";

Navbar.components = { ...Navbar.components, FiscalStatus };
