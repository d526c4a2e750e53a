from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .. import catalogue_parser as parser

DEFAULT_EXEMPT_WORDS = "без ндс\nбез налога\nндс не облагается\nне облагается\nnone\nno vat\n-"
DEFAULT_STOCK_WORDS = (
    "нет = 0\nнет в наличии = 0\nотсутствует = 0\nпод заказ = 0\nмало = 3\n"
    "есть = 10\nв наличии = 10\nдостаточно = 20\nмного = 50\nочень много = 100"
)
DELIMITERS = {"semicolon": ";", "comma": ",", "tab": "\t", "pipe": "|"}
QUOTES = {"double": '"', "single": "'"}
SEPARATORS = {"comma": ",", "point": "."}


class ConnectorBProfile(models.Model):
    _name = "connector_b.profile"
    _description = "Catalogue Import Profile"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one("res.partner", string="Supplier", required=True)
    file_format = fields.Selection(
        [("xlsx", "XLSX workbook"), ("csv", "CSV text")], required=True, default="xlsx"
    )
    encoding = fields.Selection(
        [
            ("auto", "Detect"),
            ("utf-8", "UTF-8"),
            ("utf-8-sig", "UTF-8 with BOM"),
            ("cp1251", "Windows-1251"),
        ],
        required=True,
        default="auto",
    )
    delimiter = fields.Selection(
        [
            ("auto", "Detect"),
            ("semicolon", "Semicolon (;)"),
            ("comma", "Comma (,)"),
            ("tab", "Tab"),
            ("pipe", "Vertical bar (|)"),
        ],
        required=True,
        default="auto",
    )
    quotechar = fields.Selection(
        [("auto", "Detect"), ("double", 'Double quote (")'), ("single", "Single quote (')")],
        string="Quote Character",
        required=True,
        default="auto",
    )
    sheet_name = fields.Char(help="Worksheet to read; the first one when empty.")
    header_row = fields.Integer(default=1, required=True)
    first_data_row = fields.Integer(default=2, required=True)
    line_ids = fields.One2many("connector_b.profile.line", "profile_id", string="Columns",
                               copy=True)
    match_key = fields.Selection(
        [
            ("supplier_code", "Supplier product code"),
            ("barcode", "EAN-13 barcode"),
            ("default_code", "Internal reference"),
        ],
        required=True,
        default="supplier_code",
        help="How a row finds its product.",
    )
    allow_create = fields.Boolean(string="Create Products", default=True)
    allow_update = fields.Boolean(string="Update Products", default=True)
    categ_id = fields.Many2one(
        "product.category", string="Category of New Products",
        help="Category given to products this profile creates; the default category "
        "when empty.",
    )
    currency_id = fields.Many2one(
        "res.currency", string="Price Currency",
        default=lambda self: self.env.company.currency_id,
        help="Currency of the prices when the file has no currency column.",
    )
    decimal_separator = fields.Selection(
        [("auto", "Detect"), ("comma", "Comma"), ("point", "Point")],
        required=True,
        default="auto",
        help="With 'Detect', a lone comma or point in a number is the decimal separator.",
    )
    prices_include_vat = fields.Boolean(
        string="Prices Include VAT",
        default=True,
        help="When unchecked, VAT (the row's rate or the default rate) is added to the "
        "supplier's prices: prices are stored with VAT so suppliers can be compared.",
    )
    default_vat = fields.Char(
        string="Default VAT",
        default="20",
        help="VAT rate in percent (or 'none') for rows without a VAT column.",
    )
    vat_rates = fields.Char(
        string="Allowed VAT Rates",
        default="0,5,7,10,20,22",
        required=True,
        help="Comma-separated VAT rates in percent accepted from files.",
    )
    vat_exempt_words = fields.Text(
        string="Words for 'No VAT'", default=DEFAULT_EXEMPT_WORDS,
        help="One per line; a VAT cell with one of them means the goods are sold without VAT.",
    )
    stock_words = fields.Text(
        default=DEFAULT_STOCK_WORDS,
        help="One 'word = quantity' per line for suppliers who write stock as words.",
    )
    price_jump_percent = fields.Float(
        string="Price Jump Limit (%)",
        default=20.0,
        help="A price change larger than this percentage waits for a manager's "
        "confirmation; 0 turns the check off. VAT changes always wait.",
    )
    run_ids = fields.One2many("connector_b.run", "profile_id", string="Runs")
    run_count = fields.Integer(compute="_compute_run_count")

    @api.depends("run_ids")
    def _compute_run_count(self):
        for profile in self:
            profile.run_count = len(profile.run_ids)

    @api.constrains("header_row", "first_data_row")
    def _check_rows(self):
        for profile in self:
            if profile.header_row < 1 or profile.first_data_row <= profile.header_row:
                raise ValidationError(_("The first data row must come after the header row."))

    @api.constrains("price_jump_percent")
    def _check_price_jump(self):
        if any(profile.price_jump_percent < 0 for profile in self):
            raise ValidationError(_("The price jump limit cannot be negative."))

    @api.constrains("vat_rates", "default_vat", "vat_exempt_words")
    def _check_vat_rates(self):
        for profile in self:
            options = profile._parser_options()
            if profile.default_vat:
                try:
                    parser.parse_vat(profile.default_vat, options.exempt_words,
                                     options.allowed_rates)
                except parser.ParseError as error:
                    raise ValidationError(
                        _("The default VAT %(vat)s is not one of the allowed rates.",
                          vat=profile.default_vat)) from error

    def _parser_options(self):
        self.ensure_one()
        rates = set()
        for rate in (self.vat_rates or "").split(","):
            try:
                rates.add(format(parser.parse_decimal(rate.strip(), ".").normalize(), "f"))
            except parser.ParseError as error:
                raise ValidationError(
                    _("Allowed VAT rates must be numbers separated by commas: %(rates)s",
                      rates=self.vat_rates)) from error
        return parser.Options(
            decimal_separator=SEPARATORS.get(self.decimal_separator, ""),
            exempt_words=frozenset(
                parser.fold(word)
                for word in (self.vat_exempt_words or "").splitlines() if word.strip()
            ),
            allowed_rates=frozenset(rates),
            stock_words=parser.parse_word_map(self.stock_words),
        )

    def _read_options(self):
        """Keyword arguments of ``catalogue_parser.read_table`` for this profile."""
        self.ensure_one()
        return {
            "file_format": self.file_format,
            "header_row": self.header_row,
            "first_data_row": self.first_data_row,
            "encoding": None if self.encoding == "auto" else self.encoding,
            "delimiter": DELIMITERS.get(self.delimiter),
            "quotechar": QUOTES.get(self.quotechar),
            "sheet": self.sheet_name or None,
        }

    def action_view_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("connector_b.action_run")
        action["domain"] = [("profile_id", "=", self.id)]
        action["context"] = {"default_profile_id": self.id}
        return action

    def action_import(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "connector_b.action_import_wizard")
        action["context"] = {"default_profile_id": self.id}
        return action
