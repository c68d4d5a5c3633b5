-- Correlation by network: an address inside another incident's range, or a range holding others'
-- addresses. A GiST index on the observables as inet answers "contained in / overlapping" without
-- reading every address of the region.
CREATE INDEX incident_observables_network_idx ON incident_observables
  USING gist ((normalized::inet) inet_ops) WHERE type IN ('ipv4', 'ipv6', 'cidr');
