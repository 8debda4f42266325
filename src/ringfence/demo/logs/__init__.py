"""One week of access logs of the demo utility, in the formats real systems write."""
