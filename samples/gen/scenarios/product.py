"""What the product scenarios share: the inventory, expected findings and README layout."""
from .common import NODES, Sample, cluster_hosts, inventory, new_capture


class ProductScenario:
    """Collects flows with their README rows and the findings they must give."""

    def __init__(self, product, title, extra_inventory=(), nodes=NODES, name=None,
                 **capture_options):
        self.product = product
        self.name = name or product  # the files' stem
        self.title = title
        self.hosts = cluster_hosts()
        self.cap = new_capture(self.name, **capture_options)
        self.rows = []
        self.findings = []
        self.extra_inventory = list(extra_inventory)
        self.nodes = nodes

    def flow(self, what, why, *findings):
        """Record a README row and the findings, (kind, client, server, port), it must give."""
        kinds = ", ".join("`%s`" % f[0] for f in findings) or "none"
        self.rows.append((what, kinds, why))
        self.findings += [list(f) for f in findings]

    def sample(self, intro):
        lines = ["### %s.pcap, %s.inventory, %s.expected" % ((self.name,) * 3), "",
                 intro.strip(), "",
                 "| # | flow and traffic | finding | why (verdict semantics) |",
                 "|---|---|---|---|"]
        for n, (what, kind, why) in enumerate(self.rows, 1):
            lines.append("| %d | %s | %s | %s |" % (n, what, kind, why))
        sample = Sample(self.name, "\n".join(lines))
        sample.add_capture(self.cap)
        sample.add_text(self.name + ".inventory",
                        inventory("%s: %s" % (self.name, self.title), self.product,
                                  self.extra_inventory, self.nodes))
        sample.add_expected(self.name + ".expected", self.findings)
        return sample
